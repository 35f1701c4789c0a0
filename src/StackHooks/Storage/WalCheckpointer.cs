using Microsoft.Data.Sqlite;

namespace StackHooks.Storage;

/// <summary>
/// SQLite only: copies the write-ahead log into the database file once a second, in the background. Connections open with
/// automatic checkpoints off (<see cref="Database.OpenAsync"/>), because an automatic checkpoint runs inside whichever commit
/// crosses the threshold, and its fsync then stalls that request or delivery by tens of milliseconds. A passive checkpoint
/// never blocks writers; WAL mode keeps every committed transaction durable whether or not it has been checkpointed yet.
/// </summary>
public sealed partial class WalCheckpointer(Database database, ILogger<WalCheckpointer> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Engine != StorageEngine.Sqlite)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval); // wall-clock I/O upkeep, not domain time: tests' fake clocks do not drive it
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CheckpointAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await CheckpointAsync(CancellationToken.None); // a clean stop leaves the database file complete
    }

    private async Task CheckpointAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await database.OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (Exception exception) when (exception is SqliteException or InvalidOperationException)
        {
            LogCheckpointFailed(logger, exception); // the next tick tries again; nothing committed depends on it
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "WAL checkpoint failed; retrying in a second")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);
}
