using System.Data.Common;
using Dapper;
using StackHooks.Storage;

namespace StackHooks.Delivery;

/// <summary>A claimed delivery with what is needed to send it.</summary>
public sealed class DeliveryWork
{
    public string Id { get; set; } = "";
    public string WebhookId { get; set; } = "";
    public string? EventId { get; set; }
    public string PayloadUrl { get; set; } = "";
    public string Format { get; set; } = "";
    public string? SecretEncrypted { get; set; }
    public string Kind { get; set; } = "";
    public string Payload { get; set; } = "";
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; }
}

/// <summary>One finished attempt, as it is recorded.</summary>
public sealed record AttemptResult(
    string DeliveryId,
    int Attempt,
    long StartedAt,
    long DurationMs,
    string RequestUrl,
    string RequestHeaders,
    int ResponseCode,
    string ResponseHeaders,
    string ResponseBody,
    string? Error,
    TimeSpan? RetryAfter,
    bool Skipped = false)
{
    public bool Succeeded => Error is null;
}

/// <summary>What an attempt leaves the delivery as.</summary>
public sealed record Completion(AttemptResult Result, string Status, long? NextAttemptAt)
{
    /// <summary>Succeeded; or retried on the schedule (honouring Retry-After) while attempts remain; or failed for good.</summary>
    public static Completion For(DeliveryWork work, AttemptResult result, RetrySchedule schedule, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(schedule);
        if (result.Succeeded)
        {
            return new Completion(result, "succeeded", null);
        }

        if (result.Skipped)
        {
            return new Completion(result, "skipped", null);
        }

        var delay = result.Attempt < work.MaxAttempts ? schedule.NextDelay(result.Attempt, result.RetryAfter) : null;
        return delay is { } wait
            ? new Completion(result, "pending", (now + wait).ToUnixTimeMilliseconds())
            : new Completion(result, "failed", null);
    }
}

/// <summary>
/// The queue's SQL: claiming due deliveries under a lease, recording attempts in batches, releasing leases.
/// A lease that expires makes a delivery claimable again, which is how work of a dead process is picked up.
/// </summary>
public sealed class DeliveryQueue(Database database)
{
    private const string WorkColumns =
        """
        d.id AS Id, d.webhook_id AS WebhookId, d.event_id AS EventId, w.payload_url AS PayloadUrl, w.format AS Format, w.secret_encrypted AS SecretEncrypted,
        d.kind AS Kind, d.payload AS Payload, d.attempts AS Attempts, d.max_attempts AS MaxAttempts
        """;

    /// <summary>
    /// Leases up to <paramref name="limit"/> due deliveries, at most <paramref name="perWebhook"/> per webhook and none for
    /// the <paramref name="busyWebhooks"/>, oldest due first. Only a bounded window of the due index is looked at, so a
    /// claim costs the same with a million rows queued.
    /// </summary>
    public async Task<List<DeliveryWork>> ClaimAsync(
        string owner, long now, long leaseUntil, int limit, int perWebhook, IReadOnlyCollection<string> busyWebhooks, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var busyClause = busyWebhooks.Count == 0 ? "" : "AND webhook_id NOT IN @busyWebhooks";
        var ids = (await connection.QueryAsync<string>(
            $"""
            UPDATE deliveries SET lease_owner = @owner, lease_until = @leaseUntil
            WHERE id IN (
                SELECT id FROM (
                    SELECT id, next_attempt_at, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at) AS position
                    FROM (
                        SELECT id, webhook_id, next_attempt_at FROM deliveries
                        WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now) {busyClause}
                        ORDER BY next_attempt_at
                        LIMIT @window
                    ) AS due
                ) AS ranked
                WHERE position <= @perWebhook
                ORDER BY next_attempt_at
                LIMIT @limit)
            RETURNING id
            """,
            new { owner, leaseUntil, now, busyWebhooks, perWebhook, limit, window = Math.Max(limit * 8, 512) },
            transaction)).AsList();
        if (ids.Count == 0)
        {
            await transaction.CommitAsync(ct);
            return [];
        }

        var work = (await connection.QueryAsync<DeliveryWork>(
            $"SELECT {WorkColumns} FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id IN @ids",
            new { ids },
            transaction)).AsList();
        await transaction.CommitAsync(ct);
        return work;
    }

    /// <summary>When the next delivery not held back by a busy webhook falls due; null when none is pending.</summary>
    public async Task<long?> NextDueAsync(IReadOnlyCollection<string> busyWebhooks, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var busyClause = busyWebhooks.Count == 0 ? "" : "AND webhook_id NOT IN @busyWebhooks";
        return await connection.ExecuteScalarAsync<long?>(
            $"""
            SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END)
            FROM deliveries WHERE status = 'pending' {busyClause}
            """,
            new { busyWebhooks });
    }

    /// <summary>Writes a batch of finished attempts in one transaction: each attempt row and the delivery's new state.</summary>
    public async Task CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken ct)
    {
        if (completions.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await CompleteAsync(connection, transaction, completions);
        await transaction.CommitAsync(ct);
    }

    public static async Task CompleteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Completion> completions)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(completions);
        var rows = completions.Select(c => new
        {
            c.Result.DeliveryId,
            c.Result.Attempt,
            c.Result.StartedAt,
            c.Result.DurationMs,
            c.Result.RequestUrl,
            c.Result.RequestHeaders,
            c.Result.ResponseCode,
            c.Result.ResponseHeaders,
            c.Result.ResponseBody,
            c.Result.Error,
            c.Status,
            c.NextAttemptAt,
        }).ToList();
        // INSERT OR REPLACE-free on purpose: an attempt number is written once; a duplicate means a double send to look at.
        await connection.ExecuteAsync(
            """
            INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, request_url, request_headers, response_code, response_headers, response_body, error)
            SELECT @DeliveryId, @Attempt, @StartedAt, @DurationMs, @RequestUrl, @RequestHeaders, @ResponseCode, @ResponseHeaders, @ResponseBody, @Error
            WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = @DeliveryId)
              AND NOT EXISTS (SELECT 1 FROM delivery_attempts WHERE delivery_id = @DeliveryId AND attempt = @Attempt);
            UPDATE deliveries SET status = @Status, attempts = @Attempt, next_attempt_at = @NextAttemptAt, lease_owner = NULL, lease_until = NULL
            WHERE id = @DeliveryId AND attempts < @Attempt;
            """,
            rows,
            transaction);
    }

    /// <summary>Gives back the leases this process holds (graceful shutdown).</summary>
    public async Task ReleaseAsync(string owner, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(
            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner AND status = 'pending'", new { owner });
    }

    /// <summary>
    /// Embedded mode has exactly one process per database, so at start-up every lease belongs to a process that is gone:
    /// release them all instead of waiting for them to expire.
    /// </summary>
    public async Task ReleaseAllAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL AND status = 'pending'");
    }

    /// <summary>Pending deliveries and when the oldest of them fell due (for metrics).</summary>
    public async Task<(long Depth, long? OldestDueAt)> BacklogAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleAsync<(long, long?)>(
            "SELECT COUNT(*), MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'");
    }
}
