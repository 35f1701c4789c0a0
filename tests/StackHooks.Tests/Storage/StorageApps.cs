using Dapper;
using Npgsql;
using StackHooks.Tests.Delivery;
using StackHooks.Tests.Support;

namespace StackHooks.Tests.Storage;

/// <summary>
/// The one configuration the storage suite runs with on either engine: quick real retries (0.2 s, 0.2 s: three attempts within a
/// second), no claiming ahead (PostgreSQL's default: every lease is a send in flight, which the suite's lease checks count), everything
/// else at its default (MaxConcurrencyPerWebhook, Timeout 10 s, LeaseDuration 1 min). Claiming ahead on SQLite's default is
/// covered by <see cref="Delivery.ClaimAheadTests"/>.
/// </summary>
internal static class StorageSuiteSettings
{
    public static void Apply(StackHooksApp app) => app
        .With("StackHooks:Delivery:RetrySchedule:0", "00:00:00.2")
        .With("StackHooks:Delivery:RetrySchedule:1", "00:00:00.2")
        .With("StackHooks:Delivery:ClaimAheadPerWebhook", "0");
}

/// <summary>The storage suite's app on embedded SQLite.</summary>
public sealed class SqliteStorageApp : StackHooksApp
{
    public SqliteStorageApp() => StorageSuiteSettings.Apply(this);
}

/// <summary>The storage suite's app on a fresh PostgreSQL database (cluster mode, one node).</summary>
public sealed class PostgresStorageApp : PostgresStackHooksApp
{
    public PostgresStorageApp() => StorageSuiteSettings.Apply(this);
}

/// <summary>Every storage and dispatcher test on embedded SQLite.</summary>
public sealed class SqliteStorageTests(SqliteStorageApp app) : StorageSuite<SqliteStorageApp>(app);

/// <summary>Every storage and dispatcher test on PostgreSQL (STACKHOOKS_TEST_POSTGRES; fails, never skips, without it).</summary>
public sealed class PostgresStorageTests(PostgresStorageApp app) : StorageSuite<PostgresStorageApp>(app)
{
    /// <summary>Polls pg_stat_activity until enough of the app's statements wait for a lock, counting requests already answered.</summary>
    protected override async Task WaitUntilWaitingOrDoneAsync(IReadOnlyCollection<Task> requests)
    {
        await using var connection = new NpgsqlConnection(App.ConnectionString);
        await connection.OpenAsync();
        var deadline = DateTimeOffset.UtcNow + DeliveryTestKit.Patience;
        while (true)
        {
            var waiting = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
            var done = requests.Count(r => r.IsCompleted);
            if (waiting + done >= requests.Count)
            {
                return;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"of {requests.Count} requests, {waiting} ever waited for the test's lock and {done} were answered");
            await Task.Delay(TimeSpan.FromMilliseconds(20)); // poll interval, bounded by the deadline
        }
    }
}
