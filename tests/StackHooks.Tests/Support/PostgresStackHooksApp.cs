using System.Security.Cryptography;
using Npgsql;

namespace StackHooks.Tests.Support;

/// <summary>
/// The app in cluster mode: the same fixture on a fresh PostgreSQL database of the throwaway cluster that ./test.sh starts
/// (STACKHOOKS_TEST_POSTGRES). Without that server the tests fail — they never skip.
/// </summary>
public class PostgresStackHooksApp : StackHooksApp
{
    public const string ServerVariable = "STACKHOOKS_TEST_POSTGRES";

    public PostgresStackHooksApp()
    {
        ConnectionString = CreateDatabase();
        With("StackHooks:Database:Provider", "postgres");
        With("StackHooks:Database:ConnectionString", ConnectionString);
        With("StackHooks:SecretsKey", SecretsKey);
    }

    /// <summary>The key every node of a test cluster shares.</summary>
    public static string SecretsKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string ConnectionString { get; }

    /// <summary>Creates an empty database on the test server and returns its connection string.</summary>
    public static string CreateDatabase()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException(
                $"The PostgreSQL tests need a server: {ServerVariable} is not set. Run ./test.sh, which starts a throwaway PostgreSQL cluster.");
        }

        var name = "stackhooks_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public static void DropDatabase(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        var server = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(server);
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            DropDatabase(ConnectionString);
        }
    }
}
