using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using StackHooks.Accounts;
using StackHooks.Api;
using StackHooks.Delivery;
using StackHooks.Events;
using StackHooks.Storage;

namespace StackHooks.Deployments;

/// <summary>
/// The runner's side of deployment triggers ([ours] SPEC §6.4): claim the oldest queued deployment, move it through
/// running to succeeded or failed (each step a normal event), and list a stack's deployments.
/// </summary>
public static class DeploymentsApi
{
    /// <summary>A claim not moved on within this time is handed to another runner (the first one presumably died).</summary>
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(10);

    public static IEndpointRouteBuilder MapDeployments(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/orgs/{org}/deployments/claim", Claim).RequireAuthorization().RequireOrgRole(OrgRole.Admin)
            .WithTags("Deployments").WithName("ClaimDeployment")
            .WithSummary("Runners: takes the oldest queued deployment of the organization (204 when none).");
        var stack = app.MapGroup("/api/stacks/{org}/{project}/{stack}/deployments").RequireAuthorization().WithTags("Deployments");
        stack.MapGet("", List).RequireOrgRole(OrgRole.Member).WithName("ListDeployments").WithSummary("The stack's deployments, newest first.");
        stack.MapPatch("/{id}", Update).RequireOrgRole(OrgRole.Admin).WithName("UpdateDeployment")
            .WithSummary("Runners: {\"status\": \"running\"|\"succeeded\"|\"failed\", \"message\"?} records deployment_started / _succeeded / _failed.");
        return app;
    }

    public static async Task<Results<Ok<DeploymentResponse>, NoContent>> Claim(string org, Database database, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(ct);
        var claimed = await connection.QuerySingleOrDefaultAsync<Deployment>(
            $"""
            UPDATE deployments SET claimed_at = @now
            WHERE id = (SELECT id FROM deployments
                        WHERE org_name = @org AND status = 'queued' AND (claimed_at IS NULL OR claimed_at < @expired)
                        ORDER BY created_at, id LIMIT 1
                        {database.Sql("", "FOR UPDATE SKIP LOCKED")})
              AND status = 'queued' AND (claimed_at IS NULL OR claimed_at < @expired)
            RETURNING {Deployment.Columns}
            """,
            new { org, now = now.ToUnixTimeMilliseconds(), expired = (now - ClaimTimeout).ToUnixTimeMilliseconds() });
        return claimed is null ? TypedResults.NoContent() : TypedResults.Ok(claimed.ToResponse());
    }

    public static async Task<Ok<List<DeploymentResponse>>> List(string org, string project, string stack, Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<Deployment>(
            $"SELECT {Deployment.Columns} FROM deployments WHERE org_name = @org AND project_name = @project AND stack_name = @stack ORDER BY created_at DESC, id DESC",
            new { org, project, stack });
        return TypedResults.Ok(rows.Select(d => d.ToResponse()).ToList());
    }

    public static async Task<Results<Ok<DeploymentResponse>, ApiError>> Update(
        string org, string project, string stack, string id, UpdateDeploymentRequest? body, ClaimsPrincipal principal, Database database,
        EventRecorder recorder, DeliverySignal signal, TimeProvider time, CancellationToken ct)
    {
        var status = body?.Status;
        if (status is not ("running" or "succeeded" or "failed"))
        {
            return ApiError.BadRequest("Field 'status' must be \"running\", \"succeeded\" or \"failed\".");
        }

        var message = body!.Message ?? "";
        if (message.Length > 4096 || message.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            return ApiError.BadRequest("Field 'message' must be at most 4096 characters, without control characters other than line breaks and tabs.");
        }

        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        var deployment = await connection.QuerySingleOrDefaultAsync<Deployment>(
            $"SELECT {Deployment.Columns} FROM deployments WHERE id = @id AND org_name = @org AND project_name = @project AND stack_name = @stack",
            new { id, org, project, stack }, transaction);
        if (deployment is null)
        {
            return ApiError.NotFound($"Deployment '{(id.Length <= 64 ? id : id[..64])}' not found for stack '{org}/{project}/{stack}'.");
        }

        var allowed = (deployment.Status, status) is ("queued", "running") or ("queued", "failed") or ("running", "succeeded") or ("running", "failed");
        if (!allowed)
        {
            return ApiError.Conflict($"Deployment '{id}' is {deployment.Status}; it cannot become {status}.");
        }

        await connection.ExecuteAsync(
            "UPDATE deployments SET status = @status, message = @message, updated_at = @now WHERE id = @id",
            new { status, message, id, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, transaction);
        deployment.Status = status;
        deployment.Message = message;
        var caller = Caller.From(principal);
        var eventName = status switch
        {
            "running" => "deployment_started",
            "succeeded" => "deployment_succeeded",
            _ => "deployment_failed",
        };
        await DeploymentTrigger.RecordAsync(connection, transaction, recorder, deployment, eventName, new PayloadUser(caller.Name, caller.Login, ""));
        await transaction.CommitAsync(ct);
        signal.Wake();
        return TypedResults.Ok(deployment.ToResponse());
    }
}

public sealed record UpdateDeploymentRequest(string? Status, string? Message);
