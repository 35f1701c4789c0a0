using System.Data.Common;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using StackHooks.Api;
using StackHooks.Storage;

namespace StackHooks.Accounts;

/// <summary>The caller, access tokens, site administration and organization membership (SPEC §7).</summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization().WithTags("Accounts");
        api.MapGet("/user", GetUser).WithName("GetCurrentUser").WithSummary("The caller and the organizations it belongs to.");
        api.MapGet("/user/organizations/default", GetDefaultOrganization).WithName("GetDefaultOrganization");
        api.MapGet("/capabilities", GetCapabilities).WithName("GetCapabilities");
        api.MapGet("/user/tokens", ListTokens).WithName("ListAccessTokens");
        api.MapPost("/user/tokens", CreateToken).WithName("CreateAccessToken").WithSummary("Creates a token for the caller; its value is shown once.");
        api.MapDelete("/user/tokens/{id}", DeleteToken).WithName("DeleteAccessToken");

        var site = api.MapGroup("").AddEndpointFilter(RequireSiteAdmin).WithTags("Site administration");
        site.MapPost("/orgs", CreateOrganization).WithName("CreateOrganization").WithSummary("Site admins: creates an organization; the caller becomes its admin.");
        site.MapPost("/users", CreateUser).WithName("CreateUser").WithSummary("Site admins: creates a user.");
        site.MapPost("/users/{login}/tokens", CreateTokenForUser).WithName("CreateAccessTokenForUser");

        var members = api.MapGroup("/orgs/{org}/members").RequireOrgRole(OrgRole.Admin).WithTags("Organizations");
        members.MapGet("", ListMembers).WithName("ListOrganizationMembers");
        members.MapPut("/{login}", SetMember).WithName("SetOrganizationMember").WithSummary("Adds a user to the organization or changes its role.");
        members.MapDelete("/{login}", RemoveMember).WithName("RemoveOrganizationMember");
        return app;
    }

    public static async Task<Results<Ok<UserResponse>, ApiError>> GetUser(ClaimsPrincipal principal, Database database, CancellationToken ct)
    {
        var caller = Caller.From(principal);
        await using var connection = await database.OpenAsync(ct);
        var user = await LoadUserAsync(connection, caller.UserId);
        return user is null ? ApiError.Unauthorized() : TypedResults.Ok(user);
    }

    public static async Task<Ok<DefaultOrganizationResponse>> GetDefaultOrganization(ClaimsPrincipal principal, Database database, CancellationToken ct)
    {
        var caller = Caller.From(principal);
        await using var connection = await database.OpenAsync(ct);
        var org = await connection.QueryFirstOrDefaultAsync<string>(
            "SELECT org_name FROM memberships WHERE user_id = @userId ORDER BY org_name", new { userId = caller.UserId });
        return TypedResults.Ok(new DefaultOrganizationResponse(org ?? "", []));
    }

    public static Ok<CapabilitiesResponse> GetCapabilities() => TypedResults.Ok(new CapabilitiesResponse([]));

    public static async Task<Ok<TokenListResponse>> ListTokens(ClaimsPrincipal principal, Database database, CancellationToken ct)
    {
        var caller = Caller.From(principal);
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<TokenRow>(
            "SELECT id AS Id, description AS Description, created_at AS CreatedAt, last_used_at AS LastUsedAt FROM access_tokens WHERE user_id = @userId ORDER BY created_at",
            new { userId = caller.UserId });
        return TypedResults.Ok(new TokenListResponse(rows.Select(r => new TokenResponse(
            r.Id, r.Description, r.LastUsedAt / 1000, ApiJson.Iso(r.CreatedAt))).ToList()));
    }

    public static async Task<Results<Created<NewTokenResponse>, ApiError>> CreateToken(
        ClaimsPrincipal principal, TokenRequest? body, Database database, TimeProvider time, CancellationToken ct)
    {
        var caller = Caller.From(principal);
        await using var connection = await database.OpenAsync(ct);
        return await IssueTokenAsync(connection, caller.UserId, body, time);
    }

    public static async Task<Results<NoContent, ApiError>> DeleteToken(string id, ClaimsPrincipal principal, Database database, CancellationToken ct)
    {
        var caller = Caller.From(principal);
        await using var connection = await database.OpenAsync(ct);
        var deleted = await connection.ExecuteAsync("DELETE FROM access_tokens WHERE id = @id AND user_id = @userId", new { id, userId = caller.UserId });
        return deleted == 0 ? ApiError.NotFound($"Access token '{id}' not found.") : TypedResults.NoContent();
    }

    public static async Task<Results<Created<OrganizationResponse>, ApiError>> CreateOrganization(
        ClaimsPrincipal principal, CreateOrganizationRequest? body, Database database, TimeProvider time, CancellationToken ct)
    {
        var name = body?.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            return ApiError.BadRequest("Field 'name' is required.");
        }

        if (!Names.IsValidEntityName(name))
        {
            return ApiError.BadRequest($"Field 'name' must be {Names.EntityNameRule}.");
        }

        var caller = Caller.From(principal);
        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        await database.SerializeAsync(connection, transaction, $"organization:{name}");
        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM organizations WHERE name = @name", new { name }, transaction) > 0)
        {
            return ApiError.Conflict($"Organization '{name}' already exists.");
        }

        await connection.ExecuteAsync(
            """
            INSERT INTO organizations (name, created_at) VALUES (@name, @now);
            INSERT INTO memberships (org_name, user_id, role) VALUES (@name, @userId, 'admin');
            """,
            new { name, now = time.GetUtcNow().ToUnixTimeMilliseconds(), userId = caller.UserId },
            transaction);
        await transaction.CommitAsync(ct);
        return TypedResults.Created($"/api/orgs/{name}", new OrganizationResponse(name, name, ""));
    }

    public static async Task<Results<Created<UserResponse>, ApiError>> CreateUser(
        CreateUserRequest? body, Database database, TimeProvider time, CancellationToken ct)
    {
        var login = body?.GitHubLogin?.Trim();
        if (string.IsNullOrEmpty(login))
        {
            return ApiError.BadRequest("Field 'githubLogin' is required.");
        }

        if (!Names.IsValidEntityName(login))
        {
            return ApiError.BadRequest($"Field 'githubLogin' must be {Names.EntityNameRule}.");
        }

        var name = body!.Name?.Trim() ?? "";
        var email = body.Email?.Trim() ?? "";
        if (name.Length > 200 || email.Length > 200)
        {
            return ApiError.BadRequest("Fields 'name' and 'email' must be at most 200 characters.");
        }

        if (name.Any(char.IsControl) || email.Any(char.IsControl))
        {
            return ApiError.BadRequest("Fields 'name' and 'email' must not contain control characters.");
        }

        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        await database.SerializeAsync(connection, transaction, $"user:{login}");
        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE github_login = @login", new { login }, transaction) > 0)
        {
            return ApiError.Conflict($"User '{login}' already exists.");
        }

        var id = Ids.New();
        await connection.ExecuteAsync(
            "INSERT INTO users (id, github_login, name, email, avatar_url, site_admin, created_at) VALUES (@id, @login, @name, @email, '', FALSE, @now)",
            new { id, login, name = name.Length == 0 ? login : name, email, now = time.GetUtcNow().ToUnixTimeMilliseconds() },
            transaction);
        await transaction.CommitAsync(ct);
        var user = await LoadUserAsync(connection, id);
        return TypedResults.Created($"/api/users/{login}", user!);
    }

    public static async Task<Results<Created<NewTokenResponse>, ApiError>> CreateTokenForUser(
        string login, TokenRequest? body, Database database, TimeProvider time, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var userId = await connection.QuerySingleOrDefaultAsync<string>("SELECT id FROM users WHERE github_login = @login", new { login });
        return userId is null ? ApiError.NotFound($"User '{login}' not found.") : await IssueTokenAsync(connection, userId, body, time);
    }

    public static async Task<Ok<MemberListResponse>> ListMembers(string org, Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<MemberRow>(
            """
            SELECT m.role AS Role, u.github_login AS Login, u.name AS Name, u.email AS Email, u.avatar_url AS AvatarUrl
            FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_name = @org ORDER BY u.github_login
            """,
            new { org });
        return TypedResults.Ok(new MemberListResponse(rows.Select(r => r.ToResponse()).ToList()));
    }

    public static async Task<Results<Ok<MemberResponse>, ApiError>> SetMember(
        string org, string login, SetMemberRequest? body, Database database, CancellationToken ct)
    {
        var role = body?.Role;
        if (role is not ("admin" or "member"))
        {
            return ApiError.BadRequest("Field 'role' must be \"admin\" or \"member\".");
        }

        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        await database.SerializeAsync(connection, transaction, $"membership:{org}");
        var userId = await connection.QuerySingleOrDefaultAsync<string>("SELECT id FROM users WHERE github_login = @login", new { login }, transaction);
        if (userId is null)
        {
            return ApiError.NotFound($"User '{login}' not found.");
        }

        if (role == "member" && await IsLastAdminAsync(connection, transaction, org, userId))
        {
            return ApiError.BadRequest($"User '{login}' is the last admin of organization '{org}'; make another member admin first.");
        }

        var updated = await connection.ExecuteAsync(
            "UPDATE memberships SET role = @role WHERE org_name = @org AND user_id = @userId", new { role, org, userId }, transaction);
        if (updated == 0)
        {
            await connection.ExecuteAsync(
                "INSERT INTO memberships (org_name, user_id, role) VALUES (@org, @userId, @role)", new { role, org, userId }, transaction);
        }

        await transaction.CommitAsync(ct);
        var member = await connection.QuerySingleAsync<MemberRow>(
            """
            SELECT m.role AS Role, u.github_login AS Login, u.name AS Name, u.email AS Email, u.avatar_url AS AvatarUrl
            FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_name = @org AND m.user_id = @userId
            """,
            new { org, userId });
        return TypedResults.Ok(member.ToResponse());
    }

    public static async Task<Results<NoContent, ApiError>> RemoveMember(string org, string login, Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        await database.SerializeAsync(connection, transaction, $"membership:{org}");
        var userId = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.github_login = @login AND m.org_name = @org",
            new { login, org }, transaction);
        if (userId is null)
        {
            return ApiError.NotFound($"User '{login}' is not a member of organization '{org}'.");
        }

        if (await IsLastAdminAsync(connection, transaction, org, userId))
        {
            return ApiError.BadRequest($"User '{login}' is the last admin of organization '{org}' and cannot be removed.");
        }

        await connection.ExecuteAsync("DELETE FROM memberships WHERE org_name = @org AND user_id = @userId", new { org, userId }, transaction);
        await transaction.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<bool> IsLastAdminAsync(DbConnection connection, DbTransaction transaction, string org, string userId)
    {
        var admins = (await connection.QueryAsync<string>(
            "SELECT user_id FROM memberships WHERE org_name = @org AND role = 'admin'", new { org }, transaction)).ToList();
        return admins.Count == 1 && admins[0] == userId;
    }

    private static async Task<Results<Created<NewTokenResponse>, ApiError>> IssueTokenAsync(
        DbConnection connection, string userId, TokenRequest? body, TimeProvider time)
    {
        var description = body?.Description?.Trim() ?? "";
        if (description.Length > 200 || description.Any(char.IsControl))
        {
            return ApiError.BadRequest("Field 'description' must be at most 200 characters, without control characters.");
        }

        var value = AccessTokens.NewValue();
        var id = Ids.New();
        await connection.ExecuteAsync(
            "INSERT INTO access_tokens (id, user_id, description, token_hash, created_at) VALUES (@id, @userId, @description, @hash, @now)",
            new { id, userId, description, hash = AccessTokens.Hash(value), now = time.GetUtcNow().ToUnixTimeMilliseconds() });
        return TypedResults.Created($"/api/user/tokens/{id}", new NewTokenResponse(id, value));
    }

    private static async Task<UserResponse?> LoadUserAsync(DbConnection connection, string userId)
    {
        var user = await connection.QuerySingleOrDefaultAsync<UserRow>(
            "SELECT id AS Id, github_login AS Login, name AS Name, email AS Email, avatar_url AS AvatarUrl, site_admin AS SiteAdmin FROM users WHERE id = @userId",
            new { userId });
        if (user is null)
        {
            return null;
        }

        var orgs = await connection.QueryAsync<(string Name, string Role)>(
            "SELECT org_name, role FROM memberships WHERE user_id = @userId ORDER BY org_name", new { userId });
        return new UserResponse(user.Id, user.Login, user.Name, user.Email, user.AvatarUrl, user.SiteAdmin,
            orgs.Select(o => new UserOrganization(o.Name, o.Name, "", o.Role)).ToList());
    }

    private static ValueTask<object?> RequireSiteAdmin(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        Caller.From(context.HttpContext.User).SiteAdmin
            ? next(context)
            : ValueTask.FromResult<object?>(ApiError.Forbidden("Only site administrators may do this."));

    private sealed class UserRow
    {
        public string Id { get; set; } = "";
        public string Login { get; set; } = "";
        public string Name { get; set; } = "";
        public string Email { get; set; } = "";
        public string AvatarUrl { get; set; } = "";
        public bool SiteAdmin { get; set; }
    }

    private sealed class TokenRow
    {
        public string Id { get; set; } = "";
        public string Description { get; set; } = "";
        public long CreatedAt { get; set; }
        public long LastUsedAt { get; set; }
    }

    private sealed class MemberRow
    {
        public string Role { get; set; } = "";
        public string Login { get; set; } = "";
        public string Name { get; set; } = "";
        public string Email { get; set; } = "";
        public string AvatarUrl { get; set; } = "";

        public MemberResponse ToResponse() => new(Role, new MemberUser(Name, Login, AvatarUrl, Email));
    }
}

public sealed record UserOrganization(string Name, string GithubLogin, string AvatarUrl, string Role);

public sealed record UserResponse(
    string Id, string GithubLogin, string Name, string Email, string AvatarUrl, bool SiteAdmin, IReadOnlyList<UserOrganization> Organizations);

public sealed record DefaultOrganizationResponse(
    [property: JsonPropertyName("GitHubLogin")] string GitHubLogin,
    [property: JsonPropertyName("Messages")] IReadOnlyList<string> Messages);

public sealed record CapabilitiesResponse(IReadOnlyList<string> Capabilities);

public sealed record TokenRequest(string? Description);

public sealed record NewTokenResponse(string Id, string TokenValue);

public sealed record TokenResponse(string Id, string Description, long LastUsed, string Created);

public sealed record TokenListResponse(IReadOnlyList<TokenResponse> Tokens);

public sealed record CreateOrganizationRequest(string? Name);

public sealed record OrganizationResponse(string Name, string GithubLogin, string AvatarUrl);

public sealed record CreateUserRequest(string? GitHubLogin, string? Name, string? Email);

public sealed record SetMemberRequest(string? Role);

public sealed record MemberUser(string Name, string GithubLogin, string AvatarUrl, string Email);

public sealed record MemberResponse(string Role, MemberUser User);

public sealed record MemberListResponse(IReadOnlyList<MemberResponse> Members);
