using Dapper;
using Microsoft.Extensions.Options;
using StackHooks.Security;
using StackHooks.Storage;

namespace StackHooks.Accounts;

/// <summary>
/// First start on an empty database: creates the site administrator and its access token (SPEC §7), taken from
/// <c>STACKHOOKS_ADMIN_TOKEN</c> or generated, printed once and written to <c>admin-token</c> (mode 0600).
/// </summary>
public static partial class Bootstrap
{
    public const string AdminTokenVariable = "STACKHOOKS_ADMIN_TOKEN";
    public const string AdminTokenFile = "admin-token";

    public static async Task EnsureSiteAdminAsync(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var database = services.GetRequiredService<Database>();
        var configuration = services.GetRequiredService<IConfiguration>();
        var options = services.GetRequiredService<IOptions<StackHooksOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("StackHooks.Bootstrap");

        await using var connection = await database.OpenAsync();
        await using var write = await database.BeginWriteAsync(connection);
        var transaction = write.Transaction;
        // Cluster nodes starting together on an empty database take turns: one creates the administrator, the others see it.
        await database.SerializeAsync(connection, transaction, "bootstrap:site-admin");
        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users", transaction: transaction) > 0)
        {
            return;
        }

        var given = configuration[AdminTokenVariable];
        var token = string.IsNullOrWhiteSpace(given) ? AccessTokens.NewValue() : given.Trim();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var userId = Ids.New();
        await connection.ExecuteAsync(
            """
            INSERT INTO users (id, github_login, name, email, avatar_url, site_admin, created_at)
            VALUES (@userId, 'admin', 'Site administrator', '', '', TRUE, @now);
            INSERT INTO access_tokens (id, user_id, description, token_hash, created_at)
            VALUES (@tokenId, @userId, 'site administrator (bootstrap)', @hash, @now);
            """,
            new { userId, now, tokenId = Ids.New(), hash = AccessTokens.Hash(token) },
            transaction);
        await transaction.CommitAsync();

        if (string.IsNullOrWhiteSpace(given))
        {
            var path = options.DataPath(AdminTokenFile);
            OwnerOnlyFile.Write(path, token + "\n");
            LogGeneratedToken(logger, token, path);
        }
        else
        {
            LogGivenToken(logger, AdminTokenVariable);
        }
    }

    // Printed once, on the first start only: the operator has no other way to learn it.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Created the site administrator 'admin'. Access token (shown once): {Token} — also written to {Path}")]
    private static partial void LogGeneratedToken(ILogger logger, string token, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the site administrator 'admin' with the access token from {Variable}.")]
    private static partial void LogGivenToken(ILogger logger, string variable);
}
