using Dapper;
using Microsoft.Extensions.Options;
using StackHooks.Storage;

namespace StackHooks.Delivery;

/// <summary>
/// Background upkeep of the queue: refreshes the backlog metrics every few seconds and prunes delivery history older
/// than <c>StackHooks:Delivery:Retention</c> (pending deliveries are never pruned).
/// </summary>
public sealed partial class DeliveryMaintenance(
    Database database,
    DeliveryQueue queue,
    DeliveryMetrics metrics,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<DeliveryMaintenance> logger) : BackgroundService
{
    private static readonly TimeSpan MetricsInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(10);
    private const int PruneBatch = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextPrune = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (depth, oldest) = await queue.BacklogAsync(stoppingToken);
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                metrics.SetBacklog(depth, oldest is { } due && due < now ? (now - due) / 1000.0 : 0);
                if (time.GetUtcNow() >= nextPrune)
                {
                    var pruned = await PruneAsync(stoppingToken);
                    if (pruned > 0)
                    {
                        LogPruned(logger, pruned);
                    }

                    nextPrune = time.GetUtcNow() + PruneInterval;
                }

                await Task.Delay(MetricsInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                LogFailed(logger, exception);
                await Task.Delay(MetricsInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Deletes finished deliveries (their attempts go with them)  and events older than the retention, in small batches.</summary>
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        var cutoff = (time.GetUtcNow() - options.Value.Retention).ToUnixTimeMilliseconds();
        var total = 0;
        while (!ct.IsCancellationRequested)
        {
            await using var connection = await database.OpenAsync(ct);
            await using var write = await database.BeginWriteAsync(connection, ct);
            var transaction = write.Transaction;
            var deleted = await connection.ExecuteAsync(
                """
                DELETE FROM deliveries WHERE id IN (
                    SELECT id FROM deliveries WHERE created_at < @cutoff AND status <> 'pending' LIMIT @batch);
                DELETE FROM events WHERE id IN (
                    SELECT e.id FROM events e WHERE e.created_at < @cutoff
                      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) LIMIT @batch);
                """,
                new { cutoff, batch = PruneBatch },
                transaction);
            await transaction.CommitAsync(ct);
            total += deleted;
            if (deleted == 0)
            {
                break;
            }
        }

        return total;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Rows} rows of delivery history older than the retention period")]
    private static partial void LogPruned(ILogger logger, int rows);

    [LoggerMessage(Level = LogLevel.Error, Message = "Queue maintenance failed; it goes on")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
