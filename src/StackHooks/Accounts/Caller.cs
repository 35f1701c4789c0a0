using System.Security.Claims;

namespace StackHooks.Accounts;

/// <summary>Who is asking: the user behind the request's access token.</summary>
public sealed record Caller(string UserId, string Login, string Name, bool SiteAdmin)
{
    public const string SiteAdminClaim = "stackhooks:site_admin";

    public static Caller From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return new Caller(
            principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("Request is not authenticated."),
            principal.FindFirstValue(ClaimTypes.Name) ?? "",
            principal.FindFirstValue(ClaimTypes.GivenName) ?? "",
            principal.HasClaim(SiteAdminClaim, "true"));
    }
}
