using System.Data.Common;
using Dapper;
using StackHooks.Api;
using StackHooks.Events;

namespace StackHooks.Webhooks;

/// <summary>
/// Where a webhook is attached: an organization, a stack (org/project/stack) or an environment (org/project/env).
/// Read from the route, so the same handlers serve all three scopes.
/// </summary>
public sealed record WebhookScope(WebhookScopeKind Kind, string Org, string Project, string Target)
{
    /// <summary>Project of environments addressed by the legacy <c>/api/preview/environments/{org}/{env}</c> path.</summary>
    public const string DefaultProject = "default";

    public string StorageName => Kind switch
    {
        WebhookScopeKind.Organization => "organization",
        WebhookScopeKind.Stack => "stack",
        _ => "environment",
    };

    public static WebhookScope FromRoute(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var org = http.GetRouteValue("org") as string ?? "";
        if (http.GetRouteValue("env") is string env)
        {
            return new(WebhookScopeKind.Environment, org, http.GetRouteValue("project") as string ?? DefaultProject, env);
        }

        if (http.GetRouteValue("stack") is string stack)
        {
            return new(WebhookScopeKind.Stack, org, http.GetRouteValue("project") as string ?? "", stack);
        }

        return new(WebhookScopeKind.Organization, org, "", "");
    }

    /// <summary>Minimal API binding: handlers take a <see cref="WebhookScope"/> parameter.</summary>
    public static ValueTask<WebhookScope?> BindAsync(HttpContext context) => ValueTask.FromResult<WebhookScope?>(FromRoute(context));

    public override string ToString() => Kind switch
    {
        WebhookScopeKind.Organization => $"organization '{Org}'",
        WebhookScopeKind.Stack => $"stack '{Org}/{Project}/{Target}'",
        _ => $"environment '{Org}/{Project}/{Target}'",
    };

    /// <summary>404 unless the stack or environment exists (organizations are checked by membership).</summary>
    public async Task<ApiError?> CheckExistsAsync(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (Kind == WebhookScopeKind.Organization)
        {
            return null;
        }

        var name = Kind == WebhookScopeKind.Stack ? "Stack" : "Environment";
        if (!Names.IsValidEntityName(Project) || !Names.IsValidEntityName(Target))
        {
            return ApiError.NotFound($"{name} '{Org}/{Project}/{Target}' not found.");
        }

        var sql = Kind == WebhookScopeKind.Stack
            ? "SELECT COUNT(*) FROM stacks WHERE org_name = @Org AND project_name = @Project AND stack_name = @Target"
            : "SELECT COUNT(*) FROM environments WHERE org_name = @Org AND project_name = @Project AND env_name = @Target";
        return await connection.ExecuteScalarAsync<long>(sql, this) > 0 ? null : ApiError.NotFound($"{name} '{Org}/{Project}/{Target}' not found.");
    }
}
