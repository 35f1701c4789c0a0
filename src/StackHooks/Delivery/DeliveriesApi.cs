using System.Data.Common;
using System.Text.Json.Serialization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StackHooks.Api;
using StackHooks.Events;
using StackHooks.Storage;
using StackHooks.Webhooks;

namespace StackHooks.Delivery;

/// <summary>
/// Ping, the deliveries of a webhook, one delivery with its attempts, and redelivery (SPEC §2, §5), mapped into each
/// webhook scope's route group by <see cref="WebhooksApi"/>. Ping and redeliver send at once, not through the queue.
/// </summary>
public static class DeliveriesApi
{
    private const string PingLease = "api";

    public static void MapDeliveries(RouteGroupBuilder group, string scopeName)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.MapPost("/{hook}/ping", Ping).WithName($"Ping{scopeName}Webhook")
            .WithSummary("Sends a ping to the webhook now (active or not) and returns the delivery.");
        group.MapGet("/{hook}/deliveries", List).WithName($"List{scopeName}WebhookDeliveries")
            .WithSummary("The webhook's deliveries, newest first; ?kind=, ?status=succeeded|failed|pending, ?limit= (default 100).");
        group.MapGet("/{hook}/deliveries/{id}", Get).WithName($"Get{scopeName}WebhookDelivery")
            .WithSummary("One delivery with every attempt (attemptHistory).");
        group.MapPost("/{hook}/deliveries/{id}/redeliver", Redeliver).WithName($"Redeliver{scopeName}WebhookDelivery")
            .WithSummary("Sends the delivery's original payload again now; the delivery keeps its id.");
    }

    public static async Task<Results<Ok<WebhookDeliveryResponse>, ApiError>> Ping(
        WebhookScope scope, string hook, Database database, Sender sender, RetrySchedule schedule, DeliveryMetrics metrics,
        TimeProvider time, IOptions<DeliveryOptions> options)
    {
        await using var connection = await database.OpenAsync();
        var webhook = await WebhookStore.FindAsync(connection, scope, hook);
        if (webhook is null)
        {
            return WebhookNotFound(scope, hook);
        }

        var now = time.GetUtcNow();
        var work = new DeliveryWork
        {
            Id = Ids.New(),
            WebhookId = webhook.Id,
            PayloadUrl = webhook.PayloadUrl,
            Format = webhook.Format,
            SecretEncrypted = webhook.SecretEncrypted,
            Kind = "ping",
            Payload = DeliveryBody.Render(webhook.Format, "ping", "ping", RawPayload.Ping(now.ToUnixTimeSeconds())),
            Attempts = 0,
            MaxAttempts = 1, // a ping is a test: it is not retried automatically, but it can be redelivered
        };
        // Recorded before sending, under a lease: should the process die mid-ping, the queue sends it after restart.
        await connection.ExecuteAsync(
            """
            INSERT INTO deliveries (id, webhook_id, event_id, event_name, kind, payload, status, attempts, max_attempts, next_attempt_at, lease_owner, lease_until, created_at)
            VALUES (@Id, @WebhookId, NULL, 'ping', 'ping', @Payload, 'pending', 0, 1, @now, @lease, @leaseUntil, @now)
            """,
            new { work.Id, work.WebhookId, work.Payload, now = now.ToUnixTimeMilliseconds(), lease = PingLease, leaseUntil = (now + options.Value.LeaseDuration).ToUnixTimeMilliseconds() });
        await SendNowAsync(database, connection, work, sender, schedule, metrics, time);
        return TypedResults.Ok((await LoadAsync(connection, webhook, work.Id, withAttempts: false))!);
    }

    public static async Task<Results<Ok<List<WebhookDeliveryResponse>>, ApiError>> List(
        WebhookScope scope, string hook, string? kind, string? status, string? limit, Database database)
    {
        if (status is not (null or "succeeded" or "failed" or "pending"))
        {
            return ApiError.BadRequest("Query parameter 'status' must be one of succeeded, failed, pending.");
        }

        var take = 100;
        if (limit is not null && (!int.TryParse(limit, out take) || take is < 1 or > 1000))
        {
            return ApiError.BadRequest("Query parameter 'limit' must be a whole number from 1 to 1000.");
        }

        await using var connection = await database.OpenAsync();
        var webhook = await WebhookStore.FindAsync(connection, scope, hook);
        if (webhook is null)
        {
            return WebhookNotFound(scope, hook);
        }

        var rows = await connection.QueryAsync<DeliveryRow>(
            $"""
            {DeliveryRow.Select}
            WHERE d.webhook_id = @webhookId AND (@kind IS NULL OR d.kind = @kind) AND (@status IS NULL OR d.status = @status)
            ORDER BY d.created_at DESC, d.id DESC
            LIMIT @take
            """,
            new { webhookId = webhook.Id, kind, status, take });
        return TypedResults.Ok(rows.Select(r => r.ToResponse(webhook.PayloadUrl, null)).ToList());
    }

    public static async Task<Results<Ok<WebhookDeliveryResponse>, ApiError>> Get(WebhookScope scope, string hook, string id, Database database)
    {
        await using var connection = await database.OpenAsync();
        var webhook = await WebhookStore.FindAsync(connection, scope, hook);
        if (webhook is null)
        {
            return WebhookNotFound(scope, hook);
        }

        var delivery = await LoadAsync(connection, webhook, id, withAttempts: true);
        return delivery is null ? DeliveryNotFound(hook, id) : TypedResults.Ok(delivery);
    }

    public static async Task<Results<Ok<WebhookDeliveryResponse>, ApiError>> Redeliver(
        WebhookScope scope, string hook, string id, Database database, Sender sender, RetrySchedule schedule, DeliveryMetrics metrics,
        DeliverySignal signal, TimeProvider time, IOptions<DeliveryOptions> options)
    {
        await using var connection = await database.OpenAsync();
        var webhook = await WebhookStore.FindAsync(connection, scope, hook);
        if (webhook is null)
        {
            return WebhookNotFound(scope, hook);
        }

        var now = time.GetUtcNow();
        var stored = await connection.QuerySingleOrDefaultAsync<(string Kind, string Payload, long Attempts, long MaxAttempts)?>(
            """
            UPDATE deliveries SET lease_owner = @lease, lease_until = @leaseUntil
            WHERE id = @id AND webhook_id = @webhookId
            RETURNING kind, payload, attempts, max_attempts
            """,
            new { id, webhookId = webhook.Id, lease = PingLease, leaseUntil = (now + options.Value.LeaseDuration).ToUnixTimeMilliseconds() });
        if (stored is not { } delivery)
        {
            return DeliveryNotFound(hook, id);
        }

        signal.WebhooksChanged(); // the dispatcher may hold this delivery, claimed ahead: it gives it back rather than send it too

        var work = new DeliveryWork
        {
            Id = id,
            WebhookId = webhook.Id,
            PayloadUrl = webhook.PayloadUrl,
            Format = webhook.Format,
            SecretEncrypted = webhook.SecretEncrypted,
            Kind = delivery.Kind,
            Payload = delivery.Payload,
            Attempts = (int)delivery.Attempts,
            MaxAttempts = (int)delivery.MaxAttempts,
        };
        await SendNowAsync(database, connection, work, sender, schedule, metrics, time);
        return TypedResults.Ok((await LoadAsync(connection, webhook, id, withAttempts: false))!);
    }

    private static async Task SendNowAsync(Database database, DbConnection connection, DeliveryWork work, Sender sender, RetrySchedule schedule, DeliveryMetrics metrics, TimeProvider time)
    {
        // Not the request's token: once the receiver has been called, the outcome is recorded even if the caller hung up.
        var result = await sender.SendAsync(work, CancellationToken.None);
        var completion = Completion.For(work, result, schedule, time.GetUtcNow());
        metrics.RecordAttempt(result, completion.Status);
        await using var write = await database.BeginWriteAsync(connection);
        var transaction = write.Transaction;
        await DeliveryQueue.CompleteAsync(connection, transaction, [completion]);
        await transaction.CommitAsync();
    }

    private static async Task<WebhookDeliveryResponse?> LoadAsync(DbConnection connection, Webhook webhook, string id, bool withAttempts)
    {
        var row = await connection.QuerySingleOrDefaultAsync<DeliveryRow>(
            $"{DeliveryRow.Select} WHERE d.id = @id AND d.webhook_id = @webhookId", new { id, webhookId = webhook.Id });
        if (row is null)
        {
            return null;
        }

        List<AttemptResponse>? history = null;
        if (withAttempts)
        {
            history = (await connection.QueryAsync<AttemptRow>(
                """
                SELECT attempt AS Attempt, started_at AS StartedAt, duration_ms AS DurationMs, request_headers AS RequestHeaders,
                       response_code AS ResponseCode, response_headers AS ResponseHeaders, response_body AS ResponseBody, error AS Error
                FROM delivery_attempts WHERE delivery_id = @id ORDER BY attempt
                """,
                new { id })).Select(a => a.ToResponse()).ToList();
        }

        return row.ToResponse(webhook.PayloadUrl, history);
    }

    private static ApiError WebhookNotFound(WebhookScope scope, string hook) => ApiError.NotFound($"Webhook '{hook}' not found in {scope}.");

    private static ApiError DeliveryNotFound(string hook, string id) =>
        ApiError.NotFound($"Delivery '{(id.Length <= 64 ? id : id[..64])}' not found for webhook '{hook}'.");

    private sealed class DeliveryRow
    {
        public const string Select =
            """
            SELECT d.id AS Id, d.kind AS Kind, d.event_name AS EventName, d.payload AS Payload, d.status AS Status, d.attempts AS Attempts,
                   d.next_attempt_at AS NextAttemptAt, d.created_at AS CreatedAt, a.started_at AS StartedAt, a.duration_ms AS DurationMs,
                   a.request_url AS RequestUrl, a.request_headers AS RequestHeaders, a.response_code AS ResponseCode,
                   a.response_headers AS ResponseHeaders, a.response_body AS ResponseBody, a.error AS Error
            FROM deliveries d LEFT JOIN delivery_attempts a ON a.delivery_id = d.id AND a.attempt = d.attempts
            """;

        public string Id { get; set; } = "";
        public string Kind { get; set; } = "";
        public string EventName { get; set; } = "";
        public string Payload { get; set; } = "";
        public string Status { get; set; } = "";
        public int Attempts { get; set; }
        public long? NextAttemptAt { get; set; }
        public long CreatedAt { get; set; }
        public long? StartedAt { get; set; }
        public long? DurationMs { get; set; }
        public string? RequestUrl { get; set; }
        public string? RequestHeaders { get; set; }
        public int? ResponseCode { get; set; }
        public string? ResponseHeaders { get; set; }
        public string? ResponseBody { get; set; }
        public string? Error { get; set; }

        public WebhookDeliveryResponse ToResponse(string payloadUrl, List<AttemptResponse>? history) => new(
            Id,
            Kind,
            EventName,
            Payload,
            (StartedAt ?? CreatedAt) / 1000,
            DurationMs ?? 0,
            RequestUrl ?? payloadUrl,
            RequestHeaders ?? "",
            ResponseHeaders ?? "",
            ResponseCode ?? 0,
            ResponseBody ?? "",
            Status,
            Attempts,
            Status == "pending" && NextAttemptAt is { } next ? ApiJson.Iso(next) : null,
            Error,
            history);
    }

    private sealed class AttemptRow
    {
        public int Attempt { get; set; }
        public long StartedAt { get; set; }
        public long DurationMs { get; set; }
        public string RequestHeaders { get; set; } = "";
        public int ResponseCode { get; set; }
        public string ResponseHeaders { get; set; } = "";
        public string ResponseBody { get; set; } = "";
        public string? Error { get; set; }

        public AttemptResponse ToResponse() =>
            new(Attempt, StartedAt / 1000, DurationMs, RequestHeaders, ResponseCode, ResponseHeaders, ResponseBody, Error);
    }
}

/// <summary>The WebhookDelivery object of SPEC §5, with StackHooks' additions.</summary>
public sealed record WebhookDeliveryResponse(
    string Id,
    string Kind,
    string Event,
    string Payload,
    long Timestamp,
    long Duration,
    string RequestUrl,
    string RequestHeaders,
    string ResponseHeaders,
    int ResponseCode,
    string ResponseBody,
    string Status,
    int Attempts,
    string? NextAttemptAt,
    string? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<AttemptResponse>? AttemptHistory);

public sealed record AttemptResponse(
    int Attempt, long Timestamp, long Duration, string RequestHeaders, int ResponseCode, string ResponseHeaders, string ResponseBody, string? Error);
