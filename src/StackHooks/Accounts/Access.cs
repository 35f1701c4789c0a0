using System.Data.Common;
using Dapper;
using StackHooks.Api;
using StackHooks.Storage;

namespace StackHooks.Accounts;

public enum OrgRole
{
    Member,
    Admin,
}

/// <summary>
/// Authorization by organization membership (SPEC §7). Applied once per route group as an endpoint filter reading the
/// <c>{org}</c> route value: non-members get 404 (existence does not leak), members lacking a needed role get 403.
/// </summary>
public static class Access
{
    public static async Task<OrgRole?> RoleInAsync(DbConnection connection, string userId, string org)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var role = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT role FROM memberships WHERE org_name = @org AND user_id = @userId", new { org, userId });
        return role switch
        {
            "admin" => OrgRole.Admin,
            "member" => OrgRole.Member,
            _ => null,
        };
    }

    /// <summary>Requires the caller to be a member (or, with <paramref name="role"/> Admin, an admin) of <c>{org}</c>.</summary>
    public static TBuilder RequireOrgRole<TBuilder>(this TBuilder builder, OrgRole role)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var org = http.GetRouteValue("org") as string;
            var denied = await CheckAsync(http, org, role);
            return denied ?? await next(context);
        });

    public static async Task<ApiError?> CheckAsync(HttpContext http, string? org, OrgRole needed)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (org is null || !Names.IsValidEntityName(org))
        {
            return OrganizationNotFound(org ?? "");
        }

        var caller = Caller.From(http.User);
        var database = http.RequestServices.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync(http.RequestAborted);
        var role = await RoleInAsync(connection, caller.UserId, org);
        if (role is null)
        {
            return OrganizationNotFound(org);
        }

        if (needed == OrgRole.Admin && role != OrgRole.Admin)
        {
            return ApiError.Forbidden($"Only admins of organization '{org}' may do this; you are a member.");
        }

        return null;
    }

    public static ApiError OrganizationNotFound(string org) => ApiError.NotFound($"Organization '{org}' not found.");
}
