using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using StackHooks.Delivery;
using StackHooks.Events;
using StackHooks.Storage;
using StackHooks.Api;

namespace StackHooks.Deployments;

/// <summary>
/// What a delivery to a <c>pulumi_deployments</c> webhook does instead of an HTTP request (SPEC §6.4): queue a deployment
/// of the target stack and record <c>deployment_queued</c> for it. The deployment carries its causal chain; a stack
/// already in the chain is not queued again, so A → B → A stops (the delivery is recorded as skipped, with the reason).
/// </summary>
public sealed class DeploymentTrigger(Database database, EventRecorder recorder, DeliverySignal signal, TimeProvider time)
{
    public async Task<AttemptResult> QueueAsync(DeliveryWork work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        var started = time.GetUtcNow().ToUnixTimeMilliseconds();
        AttemptResult Result(int code, string body, string? error, bool skipped = false) => new(
            work.Id, work.Attempts + 1, started, time.GetUtcNow().ToUnixTimeMilliseconds() - started, work.PayloadUrl, "",
            code, code == 0 ? "" : "Content-Type: application/json\r\n", body, error, null, skipped);

        if (work.EventId is null)
        {
            return Result(200, """{"message":"A pulumi_deployments webhook queues a deployment for events; a ping queues nothing."}""", null);
        }

        var target = work.PayloadUrl.Split('/');
        if (target.Length != 2)
        {
            return Result(0, "", $"payloadUrl '{work.PayloadUrl}' is not 'project/stack'");
        }

        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        var earlier = await connection.QuerySingleOrDefaultAsync<Deployment>(
            $"SELECT {Deployment.Columns} FROM deployments WHERE trigger_delivery_id = @Id", work, transaction);
        if (earlier is not null)
        {
            return Result(202, Serialize(earlier), null); // this delivery already queued it before a crash or a redelivery
        }

        var cause = await connection.QuerySingleOrDefaultAsync<CauseRow>(
            "SELECT org_name AS OrgName, scope AS Scope, project_name AS ProjectName, target_name AS TargetName, deployment_id AS DeploymentId, payload AS Payload FROM events WHERE id = @EventId",
            work, transaction);
        if (cause is null)
        {
            return Result(0, "", "the event that triggered this delivery no longer exists");
        }

        var (project, stack) = (target[0], target[1]);
        if (await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM stacks WHERE org_name = @org AND project_name = @project AND stack_name = @stack",
                new { org = cause.OrgName, project, stack }, transaction) == 0)
        {
            return Result(0, "", $"stack '{cause.OrgName}/{project}/{stack}' does not exist");
        }

        var causedBy = new List<string>();
        var chain = new List<string>();
        if (cause.DeploymentId is not null
            && await connection.QuerySingleOrDefaultAsync<Deployment>(
                $"SELECT {Deployment.Columns} FROM deployments WHERE id = @DeploymentId", cause, transaction) is { } parent)
        {
            causedBy.AddRange(parent.CausedBy);
            causedBy.Add(parent.Id);
            chain.AddRange(parent.ChainStacks);
        }

        if (cause.Scope == "stack")
        {
            chain.Add($"{cause.ProjectName}/{cause.TargetName}");
        }

        var targetName = $"{project}/{stack}";
        if (chain.Contains(targetName, StringComparer.Ordinal))
        {
            return Result(0, "", $"skipped: stack '{targetName}' is already in this deployment's causal chain ({string.Join(" → ", chain)} → {targetName})", skipped: true);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var deployment = new Deployment
        {
            Id = Ids.New(),
            OrgName = cause.OrgName,
            ProjectName = project,
            StackName = stack,
            Version = await connection.ExecuteScalarAsync<long>(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM deployments WHERE org_name = @org AND project_name = @project AND stack_name = @stack",
                new { org = cause.OrgName, project, stack }, transaction),
            CausedByJson = JsonSerializer.Serialize(causedBy),
            ChainStacksJson = JsonSerializer.Serialize(chain),
            CreatedAt = now,
        };
        await connection.ExecuteAsync(
            """
            INSERT INTO deployments (id, org_name, project_name, stack_name, operation, status, version, caused_by, chain_stacks, message, trigger_delivery_id, created_at, updated_at)
            VALUES (@Id, @OrgName, @ProjectName, @StackName, @Operation, @Status, @Version, @CausedByJson, @ChainStacksJson, '', @deliveryId, @CreatedAt, @CreatedAt)
            """,
            new { deployment.Id, deployment.OrgName, deployment.ProjectName, deployment.StackName, deployment.Operation, deployment.Status, deployment.Version,
                deployment.CausedByJson, deployment.ChainStacksJson, deliveryId = work.Id, deployment.CreatedAt },
            transaction);
        await RecordAsync(connection, transaction, recorder, deployment, "deployment_queued", UserOf(cause.Payload));
        await transaction.CommitAsync(ct);
        signal.Wake();
        return Result(202, Serialize(deployment), null);
    }

    /// <summary>Records a deployment's lifecycle event for its stack, tied to it by <c>deploymentId</c>.</summary>
    internal static Task<RecordedEvent> RecordAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, EventRecorder recorder, Deployment deployment,
        string eventName, PayloadUser user) =>
        recorder.RecordAsync(connection, transaction, EventCatalogue.Find(eventName)!,
            new EventSubject(deployment.OrgName, WebhookScopeKind.Stack, deployment.ProjectName, deployment.StackName), user,
            new JsonObject { ["version"] = deployment.Version, ["operation"] = deployment.Operation, ["deploymentId"] = deployment.Id });

    private static PayloadUser UserOf(string payload)
    {
        var user = JsonNode.Parse(payload)?["user"];
        return new PayloadUser(user?["name"]?.GetValue<string>() ?? "", user?["githubLogin"]?.GetValue<string>() ?? "", user?["avatarUrl"]?.GetValue<string>() ?? "");
    }

    private static string Serialize(Deployment deployment) => JsonSerializer.Serialize(deployment.ToResponse(), ApiJson.Options);

    private sealed class CauseRow
    {
        public string OrgName { get; set; } = "";
        public string Scope { get; set; } = "";
        public string ProjectName { get; set; } = "";
        public string TargetName { get; set; } = "";
        public string? DeploymentId { get; set; }
        public string Payload { get; set; } = "{}";
    }
}
