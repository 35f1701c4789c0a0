using System.Data.Common;
using System.Security.Cryptography;
using Dapper;

namespace StackHooks.Webhooks;

/// <summary>The SQL of webhooks, next to the handlers that use it.</summary>
internal static class WebhookStore
{
    private const string Columns =
        """
        id AS Id, org_name AS OrgName, scope AS Scope, project_name AS ProjectName, target_name AS TargetName, name AS Name,
        display_name AS DisplayName, payload_url AS PayloadUrl, active AS Active, format AS Format, filters AS FiltersJson,
        groups AS GroupsJson, secret_encrypted AS SecretEncrypted, secret_sha256 AS SecretSha256, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    private const string InScope = "org_name = @Org AND scope = @Scope AND project_name = @Project AND target_name = @Target";

    private static object Key(WebhookScope scope) => new { scope.Org, Scope = scope.StorageName, scope.Project, scope.Target };

    public static async Task<Webhook?> FindAsync(DbConnection connection, WebhookScope scope, string name, DbTransaction? transaction = null) =>
        await connection.QuerySingleOrDefaultAsync<Webhook>(
            $"SELECT {Columns} FROM webhooks WHERE {InScope} AND name = @name",
            new { scope.Org, Scope = scope.StorageName, scope.Project, scope.Target, name },
            transaction);

    /// <summary>Webhooks of the scope ordered by name; <paramref name="after"/> is the last name of the previous page.</summary>
    public static async Task<List<Webhook>> ListAsync(DbConnection connection, WebhookScope scope, string? after, int? limit) =>
        (await connection.QueryAsync<Webhook>(
            $"SELECT {Columns} FROM webhooks WHERE {InScope} AND name > @after ORDER BY name LIMIT @limit",
            new { scope.Org, Scope = scope.StorageName, scope.Project, scope.Target, after = after ?? "", limit = limit ?? int.MaxValue })).AsList();

    public static async Task<bool> NameTakenAsync(DbConnection connection, DbTransaction transaction, WebhookScope scope, string name) =>
        await connection.ExecuteScalarAsync<long>(
            $"SELECT COUNT(*) FROM webhooks WHERE {InScope} AND name = @name",
            new { scope.Org, Scope = scope.StorageName, scope.Project, scope.Target, name },
            transaction) > 0;

    /// <summary>8 lowercase hex characters, unique in the scope.</summary>
    public static async Task<string> NewNameAsync(DbConnection connection, DbTransaction transaction, WebhookScope scope)
    {
        while (true)
        {
            var name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            if (!await NameTakenAsync(connection, transaction, scope, name))
            {
                return name;
            }
        }
    }

    public static Task InsertAsync(DbConnection connection, DbTransaction transaction, Webhook webhook) =>
        connection.ExecuteAsync(
            """
            INSERT INTO webhooks (id, org_name, scope, project_name, target_name, name, display_name, payload_url, active, format,
                                  filters, groups, secret_encrypted, secret_sha256, created_at, updated_at)
            VALUES (@Id, @OrgName, @Scope, @ProjectName, @TargetName, @Name, @DisplayName, @PayloadUrl, @Active, @Format,
                    @FiltersJson, @GroupsJson, @SecretEncrypted, @SecretSha256, @CreatedAt, @UpdatedAt)
            """,
            webhook,
            transaction);

    public static Task UpdateAsync(DbConnection connection, DbTransaction transaction, Webhook webhook) =>
        connection.ExecuteAsync(
            """
            UPDATE webhooks SET display_name = @DisplayName, payload_url = @PayloadUrl, active = @Active, format = @Format,
                filters = @FiltersJson, groups = @GroupsJson, secret_encrypted = @SecretEncrypted, secret_sha256 = @SecretSha256,
                updated_at = @UpdatedAt
            WHERE id = @Id
            """,
            webhook,
            transaction);

    public static async Task<bool> DeleteAsync(DbConnection connection, DbTransaction transaction, WebhookScope scope, string name) =>
        await connection.ExecuteAsync(
            $"DELETE FROM webhooks WHERE {InScope} AND name = @name",
            new { scope.Org, Scope = scope.StorageName, scope.Project, scope.Target, name },
            transaction) > 0;

    /// <summary>Removes every webhook of a stack or environment that is being deleted.</summary>
    public static Task DeleteAllInScopeAsync(DbConnection connection, DbTransaction transaction, WebhookScope scope) =>
        connection.ExecuteAsync($"DELETE FROM webhooks WHERE {InScope}", Key(scope), transaction);
}
