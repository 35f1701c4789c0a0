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

/// <summary>The environments registry (SPEC §4.1): what environment webhooks attach to.</summary>
public static class EnvironmentsApi
{
    public static IEndpointRouteBuilder MapEnvironments(this IEndpointRouteBuilder app)
    {
        var environments = app.MapGroup("/api/esc/environments/{org}").RequireAuthorization().RequireOrgRole(OrgRole.Member).WithTags("Environments");
        environments.MapGet("", List).WithName("ListEnvironments");
        environments.MapPost("", Create).WithName("CreateEnvironment").WithSummary("Creates an environment (records environment_created).");
        environments.MapGet("/{project}/{env}", Get).WithName("GetEnvironment");
        environments.MapDelete("/{project}/{env}", Delete).WithName("DeleteEnvironment")
            .WithSummary("Deletes an environment and its webhooks (records environment_deleted).");
        return app;
    }

    public static async Task<Ok<EnvironmentListResponse>> List(string org, Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Project, string Name, long CreatedAt)>(
            "SELECT project_name, env_name, created_at FROM environments WHERE org_name = @org ORDER BY project_name, env_name", new { org });
        return TypedResults.Ok(new EnvironmentListResponse(rows.Select(r => ToResponse(org, r.Project, r.Name, r.CreatedAt)).ToList(), ""));
    }

    public static async Task<Results<Created<EnvironmentResponse>, ApiError>> Create(
        string org, CreateEnvironmentRequest? body, ClaimsPrincipal principal, Database database, EventRecorder recorder, DeliverySignal signal,
        TimeProvider time, CancellationToken ct)
    {
        var project = string.IsNullOrEmpty(body?.Project) ? WebhookScope.DefaultProject : body.Project;
        var name = body?.Name;
        if (string.IsNullOrEmpty(name))
        {
            return ApiError.BadRequest("Field 'name' is required.");
        }

        if (!Names.IsValidEntityName(project))
        {
            return ApiError.BadRequest($"Field 'project' must be {Names.EntityNameRule}.");
        }

        if (!Names.IsValidEntityName(name))
        {
            return ApiError.BadRequest($"Field 'name' must be {Names.EntityNameRule}.");
        }

        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        await database.SerializeAsync(connection, transaction, $"environment:{org}/{project}/{name}");
        if (await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM environments WHERE org_name = @org AND project_name = @project AND env_name = @name", new { org, project, name }, transaction) > 0)
        {
            return ApiError.Conflict($"Environment '{org}/{project}/{name}' already exists.");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(
            "INSERT INTO environments (org_name, project_name, env_name, created_at) VALUES (@org, @project, @name, @now)",
            new { org, project, name, now },
            transaction);
        await StacksApi.RecordAsync(connection, transaction, recorder, "environment_created", principal, new EventSubject(org, WebhookScopeKind.Environment, project, name));
        await transaction.CommitAsync(ct);
        signal.Wake();
        return TypedResults.Created($"/api/esc/environments/{org}/{project}/{name}", ToResponse(org, project, name, now));
    }

    public static async Task<Results<Ok<EnvironmentResponse>, ApiError>> Get(string org, string project, string env, Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var created = await connection.QuerySingleOrDefaultAsync<long?>(
            "SELECT created_at FROM environments WHERE org_name = @org AND project_name = @project AND env_name = @env", new { org, project, env });
        return created is null ? EnvironmentNotFound(org, project, env) : TypedResults.Ok(ToResponse(org, project, env, created.Value));
    }

    public static async Task<Results<NoContent, ApiError>> Delete(
        string org, string project, string env, ClaimsPrincipal principal, Database database, EventRecorder recorder, DeliverySignal signal, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        var deleted = await connection.ExecuteAsync(
            "DELETE FROM environments WHERE org_name = @org AND project_name = @project AND env_name = @env", new { org, project, env }, transaction);
        if (deleted == 0)
        {
            return EnvironmentNotFound(org, project, env);
        }

        await WebhookStore.DeleteAllInScopeAsync(connection, transaction, new WebhookScope(WebhookScopeKind.Environment, org, project, env));
        await StacksApi.RecordAsync(connection, transaction, recorder, "environment_deleted", principal, new EventSubject(org, WebhookScopeKind.Environment, project, env));
        await transaction.CommitAsync(ct);
        signal.WebhooksChanged(); // their webhooks are gone (and wakes the dispatcher for the event)
        return TypedResults.NoContent();
    }

    private static EnvironmentResponse ToResponse(string org, string project, string name, long createdAt) =>
        new(org, project, name, ApiJson.Iso(createdAt));

    private static ApiError EnvironmentNotFound(string org, string project, string env) =>
        ApiError.NotFound($"Environment '{Shorten(org)}/{Shorten(project)}/{Shorten(env)}' not found.");

    private static string Shorten(string value) => value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "…");
}

public sealed record CreateEnvironmentRequest(string? Project, string? Name);

public sealed record EnvironmentResponse(string Organization, string Project, string Name, string Created);

public sealed record EnvironmentListResponse(IReadOnlyList<EnvironmentResponse> Environments, string NextToken);
