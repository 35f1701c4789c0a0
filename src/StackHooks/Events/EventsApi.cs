using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using StackHooks.Accounts;
using StackHooks.Api;
using StackHooks.Delivery;
using StackHooks.Storage;
using StackHooks.Webhooks;

namespace StackHooks.Events;

/// <summary>
/// Records events of a stack or an environment ([ours] SPEC §4.1): the caller names the event and gives the fields it
/// knows; the server fills in the rest and creates the deliveries in the same transaction before answering 202.
/// </summary>
public static class EventsApi
{
    private const int MaxIdempotencyKey = 255;
    private const int MaxText = 4096;
    private const int MaxMessage = 16 * 1024;

    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        var stack = app.MapGroup("/api/stacks/{org}/{project}/{stack}/events").RequireAuthorization().RequireOrgRole(OrgRole.Member).WithTags("Events");
        stack.MapPost("", Record).WithName("RecordStackEvent")
            .WithSummary("Records an event of the stack, e.g. {\"event\": \"update_succeeded\", \"resourceChanges\": {\"create\": 2}}; Idempotency-Key makes retries safe.");
        var environment = app.MapGroup("/api/esc/environments/{org}/{project}/{env}/events").RequireAuthorization().RequireOrgRole(OrgRole.Member).WithTags("Events");
        environment.MapPost("", Record).WithName("RecordEnvironmentEvent")
            .WithSummary("Records an event of the environment, e.g. {\"event\": \"environment_revision_created\", \"revision\": 3}.");
        return app;
    }

    public static async Task<Results<Accepted<RecordedEventResponse>, ApiError>> Record(
        WebhookScope scope, JsonObject? body, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, ClaimsPrincipal principal,
        Database database, EventRecorder recorder, DeliverySignal signal, CancellationToken ct)
    {
        if (body is null)
        {
            return ApiError.BadRequest("A JSON request body is required.");
        }

        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKey || idempotencyKey.Any(char.IsControl)))
        {
            return ApiError.BadRequest($"Header 'Idempotency-Key' must be 1–{MaxIdempotencyKey} printable characters.");
        }

        if (body["event"] is not JsonValue eventValue || !eventValue.TryGetValue<string>(out var eventName))
        {
            return ApiError.BadRequest("Field 'event' is required: the event's filter name, e.g. \"update_succeeded\".");
        }

        var filter = EventCatalogue.Find(eventName);
        if (filter is null || !EventCatalogue.IsValidFor(filter, scope.Kind))
        {
            var valid = EventCatalogue.FiltersFor(scope.Kind).Select(f => f.Name);
            return ApiError.BadRequest($"Field 'event' must be an event of a {(scope.Kind == WebhookScopeKind.Stack ? "stack" : "environment")}: {string.Join(", ", valid)}.");
        }

        var fields = CheckFields(body, out var invalid);
        if (invalid is not null)
        {
            return invalid;
        }

        await using var connection = await database.OpenAsync(ct);
        var missing = await scope.CheckExistsAsync(connection);
        if (missing is not null)
        {
            return missing;
        }

        var caller = Caller.From(principal);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        var recorded = await recorder.RecordAsync(connection, transaction, filter,
            new EventSubject(scope.Org, scope.Kind, scope.Project, scope.Target), new PayloadUser(caller.Name, caller.Login, ""), fields, idempotencyKey);
        await transaction.CommitAsync(ct);
        signal.Wake();
        return TypedResults.Accepted((string?)null, new RecordedEventResponse(recorded.Id, recorded.Deliveries));
    }

    /// <summary>Keeps the payload fields a caller may give, each checked for its type; everything else is ignored.</summary>
    private static JsonObject CheckFields(JsonObject body, out ApiError? invalid)
    {
        invalid = null;
        var fields = new JsonObject();
        foreach (var (name, value) in body)
        {
            var problem = name switch
            {
                "resourceChanges" => ResourceChanges(value),
                "version" or "revision" => WholeNumber(value),
                "driftDetected" => value?.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? null : "a boolean",
                "operation" => value?.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is "update" or "preview" or "destroy" or "refresh"
                    ? null : "one of update, preview, destroy, refresh",
                "driftRunId" or "policyPack" or "policyName" or "resourceUrn" or "tagName" or "deploymentId" => Text(value, MaxText),
                "message" => Text(value, MaxMessage),
                "affectedRevisions" => value is JsonArray revisions && revisions.All(r => WholeNumber(r) is null) ? null : "an array of whole numbers",
                "importedEnvironmentReference" => ImportedReference(value),
                _ => "",
            };
            if (problem is null)
            {
                fields[name] = value?.DeepClone();
            }
            else if (problem.Length > 0)
            {
                invalid = ApiError.BadRequest($"Field '{name}' must be {problem}.");
                return fields;
            }
        }

        return fields;
    }

    private static string? ResourceChanges(JsonNode? value) =>
        value is JsonObject changes && changes.Count <= 64 && changes.All(c => c.Key.Length <= 64 && WholeNumber(c.Value) is null)
            ? null
            : "an object mapping operation names to whole numbers, e.g. {\"create\": 2, \"same\": 7}";

    private static string? WholeNumber(JsonNode? value) =>
        value is JsonValue number && number.GetValueKind() == JsonValueKind.Number && number.TryGetValue<long>(out var n) && n >= 0
            ? null
            : "a whole number (0 or more)";

    private static string? Text(JsonNode? value, int max) =>
        value?.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { } text && text.Length <= max
        && !text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            ? null
            : $"a string of at most {max} characters, without control characters other than line breaks and tabs";

    private static string? ImportedReference(JsonNode? value) =>
        value is JsonObject reference
        && Text(reference["projectName"], MaxText) is null
        && Text(reference["environmentName"], MaxText) is null
        && (reference["revision"] is null || WholeNumber(reference["revision"]) is null)
            ? null
            : "an object {\"projectName\", \"environmentName\", \"revision\"}";
}

public sealed record RecordedEventResponse(string Id, int Deliveries);
