using System.Data.Common;
using System.Reflection;
using DbUp;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace StackHooks.Storage;

/// <summary>
/// Opens connections to the configured engine and applies its migrations. Handlers write portable SQL through Dapper;
/// the few statements where engines differ live with the engine (see docs/ARCHITECTURE.md, "Storage").
/// </summary>
public sealed class Database
{
    private readonly string connectionString;

    public Database(IOptions<StorageOptions> storage, IOptions<StackHooksOptions> options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.Equals(storage.Value.Provider, "sqlite", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"StackHooks:Database:Provider '{storage.Value.Provider}' is not supported by this build; use 'sqlite'.");
        }

        var directory = Path.GetFullPath(options.Value.DataDirectory);
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, "stackhooks.db");
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Pooling = true,
            DefaultTimeout = 30, // seconds a statement waits for the write lock before giving up
        }.ToString();
    }

    /// <summary>The SQLite database file.</summary>
    public string FilePath { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        using var pragma = connection.CreateCommand();
        // WAL survives a process crash with synchronous=NORMAL: committed transactions are never lost to a kill.
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Applies pending migrations; a single exclusive writer makes this safe for SQLite.</summary>
    public void Migrate()
    {
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }

        var upgrade = DeployChanges.To
            .SqliteDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains(".Migrations.sqlite.", StringComparison.Ordinal))
            .WithTransaction()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        if (!upgrade.Successful)
        {
            throw new InvalidOperationException($"Database migration failed: {upgrade.Error.Message}", upgrade.Error);
        }
    }
}
