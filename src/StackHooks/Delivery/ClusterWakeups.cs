using Npgsql;
using StackHooks.Storage;

namespace StackHooks.Delivery;

/// <summary>
/// Cluster mode: LISTENs on PostgreSQL for the NOTIFY that recording an event sends, and wakes this node's dispatcher, so
/// event-to-delivery latency does not depend on the poll interval. Reconnects after any failure; the dispatcher's own
/// one-second poll is the fallback while it is away.
/// </summary>
public sealed partial class ClusterWakeups(Database database, DeliverySignal signal, TimeProvider time, ILogger<ClusterWakeups> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Engine != StorageEngine.Postgres)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenPostgresAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {DeliverySignal.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                signal.Wake(); // anything recorded while we were not listening
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                LogListenFailed(logger, exception);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e) => signal.Wake();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for delivery notifications failed; reconnecting (deliveries are still found by polling)")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
