using System.Data;
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

    /// <summary>Until when the claim holds (Unix ms); set by <see cref="DeliveryQueue.ClaimAsync"/>, not read from the row.</summary>
    public long LeaseUntil { get; set; }
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
    /// <summary>Advisory lock key serializing claims across PostgreSQL nodes.</summary>
    private const long ClaimLock = 0x5354_4B48_434C_4149; // "STKHCLAI"

    private const string WorkColumns =
        """
        d.id AS Id, d.webhook_id AS WebhookId, d.event_id AS EventId, w.payload_url AS PayloadUrl, w.format AS Format, w.secret_encrypted AS SecretEncrypted,
        d.kind AS Kind, d.payload AS Payload, d.attempts AS Attempts, d.max_attempts AS MaxAttempts
        """;

    /// <summary>Webhooks with sends in flight anywhere (leased rows), and how many: the per-webhook limit holds across nodes.</summary>
    private const string InFlight =
        """
        busy AS (
            SELECT webhook_id, COUNT(*) AS n FROM deliveries
            WHERE lease_owner IS NOT NULL AND lease_until >= @now AND status = 'pending'
            GROUP BY webhook_id)
        """;

    /// <summary>
    /// Leases up to <paramref name="limit"/> due deliveries: from every webhook that has room under its limit in flight
    /// (counting every node's leases), its oldest due ones, taken in turns (every webhook's first, then every webhook's
    /// second, …). A webhook's limit is <paramref name="perWebhook"/> plus its part of <paramref name="claimAhead"/>, shared
    /// by the webhooks with due work, so a few hanging receivers cannot take the places a fast one needs. Working webhook by
    /// webhook through the (webhook, due time) index, reading no more of each than its part, keeps a claim cheap with a
    /// million rows queued and fair: one webhook's backlog, or a hanging receiver, never hides another webhook's work.
    /// PostgreSQL: claims are serialized by a transaction-scoped advisory lock (two nodes cannot both fill a webhook's last
    /// slot) and rows are taken FOR UPDATE SKIP LOCKED.
    /// </summary>
    public async Task<List<DeliveryWork>> ClaimAsync(string owner, long now, long leaseUntil, int limit, int perWebhook, int claimAhead, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        if (database.Engine == StorageEngine.Postgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = ClaimLock }, transaction);
        }

        const string Due = "x.status = 'pending' AND x.next_attempt_at <= @now AND (x.lease_until IS NULL OR x.lease_until < @now)";
        var ids = (await connection.QueryAsync<string>(
            $"""
            WITH {InFlight},
            waiting AS (
                SELECT w.id AS webhook_id, COALESCE(busy.n, 0) AS n
                FROM webhooks w LEFT JOIN busy ON busy.webhook_id = w.id
                WHERE EXISTS (SELECT 1 FROM deliveries x WHERE x.webhook_id = w.id AND {Due})),
            share AS (SELECT @perWebhook + (@claimAhead / NULLIF(COUNT(*), 0)) AS most FROM waiting),
            room AS (
                SELECT waiting.webhook_id, share.most - waiting.n AS free FROM waiting CROSS JOIN share
                WHERE share.most - waiting.n > 0),
            picked AS (
                {database.Sql(
                    $"""
                    SELECT id, next_attempt_at, position FROM (
                        SELECT d.id, d.next_attempt_at, room.free,
                               ROW_NUMBER() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at) AS position
                        FROM room JOIN deliveries d ON d.id IN (
                            SELECT x.id FROM deliveries x WHERE x.webhook_id = room.webhook_id AND {Due}
                            ORDER BY x.next_attempt_at LIMIT MIN(@limit, (SELECT most FROM share)))) AS candidates
                    WHERE position <= free
                    """,
                    $"""
                    SELECT d.id, d.next_attempt_at, ROW_NUMBER() OVER (PARTITION BY room.webhook_id ORDER BY d.next_attempt_at) AS position
                    FROM room CROSS JOIN LATERAL (
                        SELECT x.id, x.next_attempt_at FROM deliveries x WHERE x.webhook_id = room.webhook_id AND {Due}
                        ORDER BY x.next_attempt_at LIMIT LEAST(room.free, @limit)
                        FOR UPDATE SKIP LOCKED) AS d
                    """)})
            UPDATE deliveries SET lease_owner = @owner, lease_until = @leaseUntil
            WHERE id IN (SELECT id FROM picked ORDER BY position, next_attempt_at LIMIT @limit)
            RETURNING id
            """,
            new { owner, leaseUntil, now, perWebhook, claimAhead, limit },
            transaction)).AsList();
        if (ids.Count == 0)
        {
            await transaction.CommitAsync(ct);
            return [];
        }

        var work = (await connection.QueryAsync<DeliveryWork>(
            $"SELECT {WorkColumns} FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE {database.Sql("d.id IN @ids", "d.id = ANY(@ids)")}",
            new { ids = ids.ToArray() }, // SQLite: Dapper expands the list; PostgreSQL: one array parameter
            transaction)).AsList();
        await transaction.CommitAsync(ct);
        foreach (var item in work)
        {
            item.LeaseUntil = leaseUntil;
        }

        return work;
    }

    /// <summary>
    /// After a claim, in one query: whether a due delivery was left unclaimed (its webhook was at its limit, or the claim at
    /// its own), and when the next pending delivery falls due after <paramref name="now"/> (null when none is scheduled).
    /// </summary>
    public async Task<(bool UnclaimedDue, long? NextDue)> LookAheadAsync(long now, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var (unclaimed, nextDue) = await connection.QuerySingleAsync<(long, long?)>(
            """
            SELECT CAST(CASE WHEN EXISTS (
                       SELECT 1 FROM deliveries
                       WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now))
                   THEN 1 ELSE 0 END AS BIGINT),
                   (SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at > @now)
            """,
            new { now });
        return (unclaimed != 0, nextDue);
    }

    /// <summary>Writes a batch of finished attempts in one transaction: each attempt row and the delivery's new state.</summary>
    public async Task CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken ct)
    {
        if (completions.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        await CompleteAsync(connection, transaction, completions);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Records each attempt and the delivery's new state. One command, prepared once per batch and executed row by row with
    /// new parameter values: building Dapper's parameters afresh for every row cost about as much as SQLite's own work.
    /// </summary>
    public static async Task CompleteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Completion> completions)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(completions);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // INSERT OR REPLACE-free on purpose: an attempt number is written once; a duplicate means a double send to look at.
        command.CommandText =
            """
            INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, request_url, request_headers, response_code, response_headers, response_body, error)
            SELECT @id, @attempt, @startedAt, @durationMs, @requestUrl, @requestHeaders, @responseCode, @responseHeaders, @responseBody, @error
            WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = @id)
              AND NOT EXISTS (SELECT 1 FROM delivery_attempts WHERE delivery_id = @id AND attempt = @attempt);
            UPDATE deliveries SET status = @status, attempts = @attempt, next_attempt_at = @nextAttemptAt, lease_owner = NULL, lease_until = NULL
            WHERE id = @id AND attempts < @attempt;
            """;
        var id = Add(command, "id", DbType.String);
        var attempt = Add(command, "attempt", DbType.Int64);
        var startedAt = Add(command, "startedAt", DbType.Int64);
        var durationMs = Add(command, "durationMs", DbType.Int64);
        var requestUrl = Add(command, "requestUrl", DbType.String);
        var requestHeaders = Add(command, "requestHeaders", DbType.String);
        var responseCode = Add(command, "responseCode", DbType.Int64);
        var responseHeaders = Add(command, "responseHeaders", DbType.String);
        var responseBody = Add(command, "responseBody", DbType.String);
        var error = Add(command, "error", DbType.String);
        var status = Add(command, "status", DbType.String);
        var nextAttemptAt = Add(command, "nextAttemptAt", DbType.Int64);
        foreach (var completion in completions)
        {
            var result = completion.Result;
            id.Value = result.DeliveryId;
            attempt.Value = (long)result.Attempt;
            startedAt.Value = result.StartedAt;
            durationMs.Value = result.DurationMs;
            requestUrl.Value = Storable(result.RequestUrl);
            requestHeaders.Value = Storable(result.RequestHeaders);
            responseCode.Value = (long)result.ResponseCode;
            responseHeaders.Value = Storable(result.ResponseHeaders);
            responseBody.Value = Storable(result.ResponseBody);
            error.Value = result.Error is null ? DBNull.Value : Storable(result.Error);
            status.Value = completion.Status;
            nextAttemptAt.Value = completion.NextAttemptAt is { } next ? next : DBNull.Value;
            await command.ExecuteNonQueryAsync();
        }
    }

    private static DbParameter Add(DbCommand command, string name, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name; // prefixed as written: unprefixed, Microsoft.Data.Sqlite tries @, $ and : on every execution
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// Text as both engines can store it. PostgreSQL's <c>text</c> cannot hold U+0000 (SQLite's can), and a receiver may well
    /// answer with a NUL byte: unreplaced, the attempt could not be recorded at all, and the batch it was in would fail again
    /// on every retry. It is stored as U+FFFD, as any byte of the response that is not UTF-8 already is.
    /// </summary>
    private static string Storable(string text) => text.Contains('\0', StringComparison.Ordinal) ? text.Replace('\0', '\uFFFD') : text;

    /// <summary>Gives back the leases this process holds (graceful shutdown).</summary>
    public async Task ReleaseAsync(string owner, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        await connection.ExecuteAsync(
            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner AND status = 'pending'", new { owner }, write.Transaction);
        await write.CommitAsync(ct);
    }

    /// <summary>Gives back these claimed deliveries, if <paramref name="owner"/> still holds them, so they can be claimed again.</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<string> ids, string owner, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        await connection.ExecuteAsync(
            $"UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE {database.Sql("id IN @ids", "id = ANY(@ids)")} AND lease_owner = @owner AND status = 'pending'",
            new { ids = ids.ToArray(), owner },
            write.Transaction);
        await write.CommitAsync(ct);
    }

    /// <summary>
    /// SQLite (embedded mode) has exactly one process per database, so at start-up every lease belongs to a process that is gone:
    /// release them all instead of waiting for them to expire.
    /// </summary>
    public async Task ReleaseAllAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        await connection.ExecuteAsync(
            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL AND status = 'pending'", transaction: write.Transaction);
        await write.CommitAsync(ct);
    }

    /// <summary>Pending deliveries and when the oldest of them fell due (for metrics).</summary>
    public async Task<(long Depth, long? OldestDueAt)> BacklogAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleAsync<(long, long?)>(
            "SELECT COUNT(*), MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'");
    }
}
