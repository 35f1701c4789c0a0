using System.Data.Common;
using System.Reflection;
using System.Runtime.CompilerServices;
using Dapper;
using DbUp;
using DbUp.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace StackHooks.Storage;

/// <summary>The two storage engines: embedded SQLite (one process) and PostgreSQL (cluster mode).</summary>
public enum StorageEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Opens connections to the configured engine and applies its migrations. Handlers write portable SQL through Dapper;
/// the few statements where the engines differ choose theirs with <see cref="Sql"/> (see docs/ARCHITECTURE.md, "Storage").
/// </summary>
public sealed class Database : IAsyncDisposable
{
    /// <summary>Key of the advisory lock that serializes migrations when several nodes start together.</summary>
    private const long MigrationLock = 0x5354_4B48_4F4F_4B53; // "STKHOOKS"

    private readonly string connectionString;
    private readonly NpgsqlDataSource? postgres;
    private readonly SemaphoreSlim writeTurn = new(1, 1);
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> configured = new();

    public Database(IOptions<StorageOptions> storage, IOptions<StackHooksOptions> options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(options);
        Engine = storage.Value.Engine;
        if (Engine == StorageEngine.Postgres)
        {
            connectionString = storage.Value.ConnectionString!;
            postgres = NpgsqlDataSource.Create(connectionString);
            FilePath = null;
            return;
        }

        var directory = Path.GetFullPath(options.Value.DataDirectory);
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, "stackhooks.db");
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30, // seconds a statement waits for the write lock before giving up
        }.ToString();
    }

    public StorageEngine Engine { get; }

    /// <summary>The SQLite database file; null on PostgreSQL.</summary>
    public string? FilePath { get; }

    /// <summary>The statement for this engine, where the two dialects differ.</summary>
    public string Sql(string sqlite, string postgresql) => Engine == StorageEngine.Sqlite ? sqlite : postgresql;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (postgres is not null)
        {
            return await postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // Settings last as long as the pooled native connection: apply them once per connection.
        if (configured.TryGetValue(connection.Handle!, out _))
        {
            return connection;
        }

        using var pragma = connection.CreateCommand();
        // WAL survives a process crash with synchronous=NORMAL: committed transactions are never lost to a kill.
        // busy_timeout lets SQLite itself wait for the write lock in small steps; otherwise the driver's own retry
        // sleeps 150 ms at a time, which showed up as 150 ms pauses between deliveries. No automatic checkpoints: they
        // would run inside a commit; WalCheckpointer (registered with the Database) does them in the background.
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA wal_autocheckpoint=0;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        configured.AddOrUpdate(connection.Handle!, connection.Handle!);
        return connection;
    }

    /// <summary>
    /// Makes check-then-insert transactions on the same <paramref name="key"/> (a webhook name in its scope, a stack, an
    /// idempotency key…) take turns. SQLite write transactions already do (one writer at a time); PostgreSQL takes a
    /// transaction-scoped advisory lock, so two nodes creating the same thing at once get one 201 and one 409.
    /// </summary>
    public Task SerializeAsync(DbConnection connection, DbTransaction transaction, string key) =>
        Engine == StorageEngine.Sqlite
            ? Task.CompletedTask
            : connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", new { key }, transaction);

    /// <summary>
    /// Begins a write transaction. SQLite has one writer at a time: on SQLite this first takes the process's write turn, so
    /// writers waiting for each other are handed the lock the moment it is free; waiting in SQLite's busy handler instead
    /// sleeps 1, 2, 5 … 100 ms between tries, which showed up as delivery latency spikes. PostgreSQL's row locks let writers
    /// proceed together, so there it is a plain transaction. Writes outside a transaction rely on busy_timeout.
    /// Never begin a second one while holding one (on SQLite that waits forever).
    /// </summary>
    public async Task<WriteTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var turn = Engine == StorageEngine.Sqlite ? writeTurn : null;
        if (turn is not null)
        {
            await turn.WaitAsync(cancellationToken);
        }

        try
        {
            return new WriteTransaction(await connection.BeginTransactionAsync(cancellationToken), turn);
        }
        catch
        {
            turn?.Release();
            throw;
        }
    }

    /// <summary>A dedicated PostgreSQL connection outside the pool's normal use (LISTEN needs one that stays open).</summary>
    public async Task<NpgsqlConnection> OpenPostgresAsync(CancellationToken cancellationToken) =>
        await (postgres ?? throw new InvalidOperationException("Not a PostgreSQL database.")).OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// Applies pending migrations from this engine's script folder. SQLite: one process, one exclusive writer. PostgreSQL:
    /// under an advisory lock, so nodes starting together migrate once and the others wait.
    /// </summary>
    public void Migrate()
    {
        if (Engine == StorageEngine.Sqlite)
        {
            using (var connection = new SqliteConnection(connectionString))
            {
                connection.Open();
                connection.Execute("PRAGMA journal_mode=WAL;");
            }

            Run(DeployChanges.To.SqliteDatabase(connectionString), "sqlite");
            return;
        }

        using var lockConnection = postgres!.OpenConnection();
        lockConnection.Execute("SELECT pg_advisory_lock(@key)", new { key = MigrationLock });
        try
        {
            Run(DeployChanges.To.PostgresqlDatabase(connectionString), "postgres");
        }
        finally
        {
            lockConnection.Execute("SELECT pg_advisory_unlock(@key)", new { key = MigrationLock });
        }
    }

    private static void Run(UpgradeEngineBuilder builder, string folder)
    {
        var upgrade = builder
            .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains($".Migrations.{folder}.", StringComparison.Ordinal))
            .WithTransaction()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        if (!upgrade.Successful)
        {
            throw new InvalidOperationException($"Database migration failed: {upgrade.Error.Message}", upgrade.Error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }
}
