using System.Data.Common;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Options;
using StackHooks.Delivery;
using StackHooks.Storage;
using StackHooks.Webhooks;

namespace StackHooks.Events;

/// <summary>What recording an event produced.</summary>
public sealed record RecordedEvent(string Id, int Deliveries, bool Replayed);

/// <summary>
/// Records an event and creates its deliveries — one per matching webhook, body rendered for the webhook's format — in
/// the caller's transaction, so an event is never stored without its deliveries or the other way round. After the
/// caller commits it calls <see cref="DeliverySignal.Wake"/> so the dispatcher sends at once. A <c>deploymentId</c> field
/// ties the event to the deployment that caused it (the loop guard of deployment triggers follows it).
/// </summary>
public sealed class EventRecorder(Database database, PublicLinks links, TimeProvider time, IOptions<DeliveryOptions> deliveryOptions)
{
    private readonly int maxAttempts = new RetrySchedule(deliveryOptions.Value.EffectiveRetrySchedule()).MaxAttempts;

    public async Task<RecordedEvent> RecordAsync(
        DbConnection connection, DbTransaction transaction, EventFilter filter, EventSubject subject, PayloadUser user, JsonObject fields,
        string? idempotencyKey = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(subject);
        if (idempotencyKey is not null)
        {
            await database.SerializeAsync(connection, transaction, $"event:{subject.Org}/{idempotencyKey}");
            var earlier = await connection.QuerySingleOrDefaultAsync<(string Id, long Count)?>(
                "SELECT id, delivery_count FROM events WHERE org_name = @org AND idempotency_key = @idempotencyKey",
                new { org = subject.Org, idempotencyKey }, transaction);
            if (earlier is { } found)
            {
                return new RecordedEvent(found.Id, (int)found.Count, Replayed: true);
            }
        }

        var eventId = Ids.New();
        long? version = filter.Kind == "stack_update" ? await NextUpdateVersionAsync(connection, transaction, subject, fields) : null;
        var payload = RawPayload.Build(filter, subject, user, fields, links, eventId, version);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();

        var webhooks = await MatchingWebhooksAsync(connection, transaction, subject, filter);
        var rows = webhooks.Select(w => new
        {
            Id = Ids.New(),
            WebhookId = w.Id,
            EventId = eventId,
            EventName = filter.Name,
            filter.Kind,
            Payload = DeliveryBody.Render(w.Format, filter.Name, filter.Kind, payload),
            MaxAttempts = maxAttempts,
            Now = now,
        }).ToList();

        await connection.ExecuteAsync(
            """
            INSERT INTO events (id, org_name, scope, project_name, target_name, event_name, kind, payload, idempotency_key, delivery_count, deployment_id, created_at)
            VALUES (@eventId, @Org, @scope, @Project, @Target, @name, @kind, @payload, @idempotencyKey, @count, @deploymentId, @now)
            """,
            new
            {
                eventId,
                subject.Org,
                scope = subject.Scope == WebhookScopeKind.Environment ? "environment" : "stack",
                subject.Project,
                subject.Target,
                name = filter.Name,
                kind = filter.Kind,
                payload = payload.ToJsonString(RawPayload.Json),
                idempotencyKey,
                count = rows.Count,
                deploymentId = fields["deploymentId"]?.GetValue<string>(),
                now,
            },
            transaction);
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO deliveries (id, webhook_id, event_id, event_name, kind, payload, status, attempts, max_attempts, next_attempt_at, created_at)
                VALUES (@Id, @WebhookId, @EventId, @EventName, @Kind, @Payload, 'pending', 0, @MaxAttempts, @Now, @Now)
                """,
                rows,
                transaction);
            if (database.Engine == StorageEngine.Postgres)
            {
                // Delivered to listening nodes when the transaction commits: idle dispatchers wake without polling.
                await connection.ExecuteAsync($"NOTIFY {DeliverySignal.Channel}", transaction: transaction);
            }
        }

        return new RecordedEvent(eventId, rows.Count, Replayed: false);
    }

    /// <summary>
    /// Active webhooks of the organization and of the event's own stack or environment whose filters and groups want it.
    /// </summary>
    private static async Task<List<Webhook>> MatchingWebhooksAsync(DbConnection connection, DbTransaction transaction, EventSubject subject, EventFilter filter)
    {
        var candidates = await connection.QueryAsync<Webhook>(
            """
            SELECT id AS Id, scope AS Scope, format AS Format, filters AS FiltersJson, groups AS GroupsJson
            FROM webhooks
            WHERE org_name = @Org AND active = TRUE
              AND (scope = 'organization' OR (scope = @scope AND project_name = @Project AND target_name = @Target))
            ORDER BY created_at
            """,
            new { subject.Org, scope = subject.Scope == WebhookScopeKind.Environment ? "environment" : "stack", subject.Project, subject.Target },
            transaction);
        return candidates.Where(w => EventCatalogue.Wants(w.Filters, w.Groups, ScopeOf(w), filter)).ToList();
    }

    private static WebhookScopeKind ScopeOf(Webhook webhook) => webhook.Scope switch
    {
        "organization" => WebhookScopeKind.Organization,
        "stack" => WebhookScopeKind.Stack,
        _ => WebhookScopeKind.Environment,
    };

    /// <summary>
    /// Non-preview updates of a stack are numbered 1, 2, 3… by the server (self-managed backends keep no numbers);
    /// a caller-given version is taken as it is and moves the counter forward.
    /// </summary>
    private async Task<long> NextUpdateVersionAsync(DbConnection connection, DbTransaction transaction, EventSubject subject, JsonObject fields)
    {
        var given = fields["version"]?.GetValue<long>();
        var key = new { subject.Org, subject.Project, subject.Target, given };
        if (given is not null)
        {
            await connection.ExecuteAsync(
                database.Sql(
                    "UPDATE stacks SET version = MAX(version, @given) WHERE org_name = @Org AND project_name = @Project AND stack_name = @Target",
                    "UPDATE stacks SET version = GREATEST(version, @given) WHERE org_name = @Org AND project_name = @Project AND stack_name = @Target"),
                key, transaction);
            return given.Value;
        }

        return await connection.ExecuteScalarAsync<long>(
            "UPDATE stacks SET version = version + 1 WHERE org_name = @Org AND project_name = @Project AND stack_name = @Target RETURNING version",
            key, transaction);
    }
}
