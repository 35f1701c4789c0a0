using System.Security.Claims;
using System.Text.Encodings.Web;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using StackHooks.Api;
using StackHooks.Storage;

namespace StackHooks.Accounts;

/// <summary>
/// The <c>Authorization: token &lt;access-token&gt;</c> scheme Pulumi clients use (<c>Bearer</c> is accepted too).
/// The token is hashed and looked up by its hash, so the stored value is never compared in plain text.
/// </summary>
public sealed class TokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    Database database,
    TimeProvider time) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "token";

    /// <summary>How stale <c>lastUsed</c> may get; avoids a write on every request.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? "" : header[..space];
        var value = space < 0 ? "" : header[(space + 1)..].Trim();
        if (!(scheme.Equals("token", StringComparison.OrdinalIgnoreCase) || scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            || value.Length is 0 or > 512)
        {
            return AuthenticateResult.Fail("Malformed Authorization header.");
        }

        await using var connection = await database.OpenAsync(Context.RequestAborted);
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(
            """
            SELECT t.id AS TokenId, t.last_used_at AS LastUsedAt, u.id AS UserId, u.github_login AS Login, u.name AS Name, u.site_admin AS SiteAdmin
            FROM access_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = @hash
            """,
            new { hash = AccessTokens.Hash(value) });
        if (row is null)
        {
            return AuthenticateResult.Fail("Unknown access token.");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now - row.LastUsedAt > LastUsedResolution.TotalMilliseconds)
        {
            await connection.ExecuteAsync("UPDATE access_tokens SET last_used_at = @now WHERE id = @id", new { now, id = row.TokenId });
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, row.UserId),
                new Claim(ClaimTypes.Name, row.Login),
                new Claim(ClaimTypes.GivenName, row.Name),
                new Claim(Caller.SiteAdminClaim, row.SiteAdmin ? "true" : "false"),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ApiError.WriteAsync(Response, StatusCodes.Status401Unauthorized, ApiError.Unauthorized().Message);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiError.WriteAsync(Response, StatusCodes.Status403Forbidden, "Forbidden: this access token may not do that.");

    private sealed class TokenRow
    {
        public string TokenId { get; set; } = "";
        public long LastUsedAt { get; set; }
        public string UserId { get; set; } = "";
        public string Login { get; set; } = "";
        public string Name { get; set; } = "";
        public bool SiteAdmin { get; set; }
    }
}
