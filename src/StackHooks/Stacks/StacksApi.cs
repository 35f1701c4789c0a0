using System.Security.Claims;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using StackHooks.Accounts;
using StackHooks.Api;
using StackHooks.Delivery;
using StackHooks.Events;
using StackHooks.Storage;
using StackHooks.Webhooks;

namespace StackHooks.Stacks;

/// <summary>The stacks registry (SPEC §4.1): what stack webhooks attach to and stack events are about.</summary>
public static class StacksApi
{
    public static IEndpointRouteBuilder MapStacks(this IEndpointRouteBuilder app)
    {
        var stacks = app.MapGroup("/api/stacks/{org}").RequireAuthorization().RequireOrgRole(OrgRole.Member).WithTags("Stacks");
        stacks.MapPost("/{project}", Create).WithName("CreateStack").WithSummary("Creates a stack (records stack_created).");
        stacks.MapGet("/{project}/{stack}", Get).WithName("GetStack");
        stacks.MapDelete("/{project}/{stack}", Delete).WithName("DeleteStack").WithSummary("Deletes a stack and its webhooks (records stack_deleted).");

        app.MapGet("/api/user/stacks", List).RequireAuthorization().WithTags("Stacks").WithName("ListStacks")
            .WithSummary("Lists the stacks of the caller's organizations; ?organization= narrows to one.");
        return app;
    }

    public static async Task<Results<Created<StackResponse>, ApiError>> Create(
        string org, string project, CreateStackRequest? body, ClaimsPrincipal principal, Database database, EventRecorder recorder,
        DeliverySignal signal, TimeProvider time, CancellationToken ct)
    {
        if (!Names.IsValidEntityName(project))
        {
            return ApiError.BadRequest($"Project name '{Shorten(project)}' must be {Names.EntityNameRule}.");
        }

        var stack = body?.StackName;
        if (string.IsNullOrEmpty(stack))
        {
            return ApiError.BadRequest("Field 'stackName' is required.");
        }

        if (!Names.IsValidEntityName(stack))
        {
            return ApiError.BadRequest($"Field 'stackName' must be {Names.EntityNameRule}.");
        }

        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        await database.SerializeAsync(connection, transaction, $"stack:{org}/{project}/{stack}");
        var key = new { org, project, stack };
        if (await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM stacks WHERE org_name = @org AND project_name = @project AND stack_name = @stack", key, transaction) > 0)
        {
            return ApiError.Conflict($"Stack '{org}/{project}/{stack}' already exists.");
        }

        await connection.ExecuteAsync(
            "INSERT INTO stacks (org_name, project_name, stack_name, version, created_at) VALUES (@org, @project, @stack, 0, @now)",
            new { org, project, stack, now = time.GetUtcNow().ToUnixTimeMilliseconds() },
            transaction);
        await RecordAsync(connection, transaction, recorder, "stack_created", principal, new EventSubject(org, WebhookScopeKind.Stack, project, stack));
        await transaction.CommitAsync(ct);
        signal.Wake();
        return TypedResults.Created($"/api/stacks/{org}/{project}/{stack}", new StackResponse(org, project, stack, new Dictionary<string, string>(), 0));
    }

    public static async Task<Results<Ok<StackResponse>, ApiError>> Get(string org, string project, string stack, Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var version = await connection.QuerySingleOrDefaultAsync<long?>(
            "SELECT version FROM stacks WHERE org_name = @org AND project_name = @project AND stack_name = @stack", new { org, project, stack });
        return version is null
            ? StackNotFound(org, project, stack)
            : TypedResults.Ok(new StackResponse(org, project, stack, new Dictionary<string, string>(), version.Value));
    }

    public static async Task<Results<NoContent, ApiError>> Delete(
        string org, string project, string stack, ClaimsPrincipal principal, Database database, EventRecorder recorder, DeliverySignal signal, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        var deleted = await connection.ExecuteAsync(
            "DELETE FROM stacks WHERE org_name = @org AND project_name = @project AND stack_name = @stack", new { org, project, stack }, transaction);
        if (deleted == 0)
        {
            return StackNotFound(org, project, stack);
        }

        await WebhookStore.DeleteAllInScopeAsync(connection, transaction, new WebhookScope(WebhookScopeKind.Stack, org, project, stack));
        await RecordAsync(connection, transaction, recorder, "stack_deleted", principal, new EventSubject(org, WebhookScopeKind.Stack, project, stack));
        await transaction.CommitAsync(ct);
        signal.WebhooksChanged(); // their webhooks are gone (and wakes the dispatcher for the event)
        return TypedResults.NoContent();
    }

    public static async Task<Ok<StackListResponse>> List(string? organization, ClaimsPrincipal principal, Database database, CancellationToken ct)
    {
        var caller = Caller.From(principal);
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Org, string Project, string Stack, long Version)>(
            """
            SELECT s.org_name, s.project_name, s.stack_name, s.version
            FROM stacks s JOIN memberships m ON m.org_name = s.org_name AND m.user_id = @userId
            WHERE @organization IS NULL OR s.org_name = @organization
            ORDER BY s.org_name, s.project_name, s.stack_name
            """,
            new { userId = caller.UserId, organization });
        return TypedResults.Ok(new StackListResponse(rows.Select(r => new StackSummary(r.Org, r.Project, r.Stack, r.Version)).ToList()));
    }

    /// <summary>Records a registry event (created/deleted) in the registry change's own transaction.</summary>
    internal static Task<RecordedEvent> RecordAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, EventRecorder recorder, string eventName,
        ClaimsPrincipal principal, EventSubject subject)
    {
        var caller = Caller.From(principal);
        return recorder.RecordAsync(connection, transaction, EventCatalogue.Find(eventName)!, subject, new PayloadUser(caller.Name, caller.Login, ""), []);
    }

    private static ApiError StackNotFound(string org, string project, string stack) =>
        ApiError.NotFound($"Stack '{Shorten(org)}/{Shorten(project)}/{Shorten(stack)}' not found.");

    private static string Shorten(string value) => value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "…");
}

public sealed record CreateStackRequest(string? StackName);

public sealed record StackResponse(string OrgName, string ProjectName, string StackName, IReadOnlyDictionary<string, string> Tags, long Version);

public sealed record StackSummary(string OrgName, string ProjectName, string StackName, long Version);

public sealed record StackListResponse(IReadOnlyList<StackSummary> Stacks);
