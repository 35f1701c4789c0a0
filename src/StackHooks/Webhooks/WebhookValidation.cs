using System.Data.Common;
using Dapper;
using StackHooks.Api;
using StackHooks.Events;

namespace StackHooks.Webhooks;

/// <summary>The rules of SPEC §3 for create and update bodies.</summary>
internal static class WebhookValidation
{
    public const string RemoveSecret = "__remove-secret";
    public const int MaxDisplayName = 200;
    public const int MaxPayloadUrl = 2048;
    public const int MaxSecret = 1024;

    /// <summary>Checks the parts of the body that must agree with the path.</summary>
    public static ApiError? CheckPath(WebhookRequest body, WebhookScope scope, bool creating, string? pathName = null)
    {
        if (creating && string.IsNullOrEmpty(body.OrganizationName))
        {
            return ApiError.BadRequest("Field 'organizationName' is required.");
        }

        if (!string.IsNullOrEmpty(body.OrganizationName) && body.OrganizationName != scope.Org)
        {
            return ApiError.BadRequest($"Field 'organizationName' is '{Shorten(body.OrganizationName)}' but the path names organization '{scope.Org}'.");
        }

        if (scope.Kind != WebhookScopeKind.Organization && !string.IsNullOrEmpty(body.ProjectName) && body.ProjectName != scope.Project)
        {
            return ApiError.BadRequest($"Field 'projectName' is '{Shorten(body.ProjectName)}' but the path names project '{scope.Project}'.");
        }

        if (scope.Kind == WebhookScopeKind.Stack && !string.IsNullOrEmpty(body.StackName) && body.StackName != scope.Target)
        {
            return ApiError.BadRequest($"Field 'stackName' is '{Shorten(body.StackName)}' but the path names stack '{scope.Target}'.");
        }

        if (scope.Kind == WebhookScopeKind.Environment && !string.IsNullOrEmpty(body.EnvName) && body.EnvName != scope.Target)
        {
            return ApiError.BadRequest($"Field 'envName' is '{Shorten(body.EnvName)}' but the path names environment '{scope.Target}'.");
        }

        if (pathName is not null && !string.IsNullOrEmpty(body.Name) && body.Name != pathName)
        {
            return ApiError.BadRequest($"Field 'name' is '{Shorten(body.Name)}' but the path names webhook '{pathName}'; a webhook cannot be renamed.");
        }

        if (creating && !string.IsNullOrEmpty(body.Name) && !Names.IsValidWebhookName(body.Name))
        {
            return ApiError.BadRequest($"Field 'name' must be {Names.WebhookNameRule}.");
        }

        return null;
    }

    public static ApiError? CheckDisplayName(string? displayName, out string trimmed)
    {
        trimmed = displayName?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            return ApiError.BadRequest("Field 'displayName' is required and must not be blank.");
        }

        if (trimmed.Length > MaxDisplayName)
        {
            return ApiError.BadRequest($"Field 'displayName' must be at most {MaxDisplayName} characters; it is {trimmed.Length}.");
        }

        return trimmed.Any(char.IsControl) ? ApiError.BadRequest("Field 'displayName' must not contain control characters.") : null;
    }

    public static ApiError? CheckFormat(string format, WebhookScope scope)
    {
        if (!WebhookFormats.All.Contains(format))
        {
            return ApiError.BadRequest($"Field 'format' must be one of {string.Join(", ", WebhookFormats.All)}; '{Shorten(format)}' is not.");
        }

        return format == WebhookFormats.PulumiDeployments && scope.Kind == WebhookScopeKind.Organization
            ? ApiError.BadRequest("'pulumi_deployments' format can only be used on stack or environment webhooks")
            : null;
    }

    public static async Task<ApiError?> CheckPayloadUrlAsync(string? payloadUrl, string format, WebhookScope scope, WebhookOptions options, DbConnection connection)
    {
        if (string.IsNullOrWhiteSpace(payloadUrl))
        {
            return ApiError.BadRequest("Field 'payloadUrl' is required.");
        }

        if (payloadUrl.Length > MaxPayloadUrl)
        {
            return ApiError.BadRequest($"Field 'payloadUrl' must be at most {MaxPayloadUrl} characters.");
        }

        if (payloadUrl.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return ApiError.BadRequest("Field 'payloadUrl' must not contain spaces or control characters.");
        }

        if (format == WebhookFormats.PulumiDeployments)
        {
            var parts = payloadUrl.Split('/');
            if (parts.Length != 2 || !Names.IsValidEntityName(parts[0]) || !Names.IsValidEntityName(parts[1]))
            {
                return ApiError.BadRequest("Field 'payloadUrl' of a 'pulumi_deployments' webhook must be 'project/stack', naming a stack of the same organization.");
            }

            var exists = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM stacks WHERE org_name = @org AND project_name = @project AND stack_name = @stack",
                new { org = scope.Org, project = parts[0], stack = parts[1] }) > 0;
            return exists ? null : ApiError.BadRequest($"Field 'payloadUrl' names stack '{scope.Org}/{payloadUrl}', which does not exist.");
        }

        if (!Uri.TryCreate(payloadUrl, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return ApiError.BadRequest("Field 'payloadUrl' must be an absolute http:// or https:// URL with a host (and no user:password@).");
        }

        if (format == WebhookFormats.Slack && options.SlackUrlPrefix.Length > 0
            && !payloadUrl.StartsWith(options.SlackUrlPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return ApiError.BadRequest($"Field 'payloadUrl' of a 'slack' webhook must start with '{options.SlackUrlPrefix}' (a Slack incoming-webhook URL).");
        }

        return null;
    }

    /// <summary>Every filter must be an event the scope may receive; returns the de-duplicated list.</summary>
    public static ApiError? CheckFilters(string?[] filters, WebhookScope scope, out string[] valid)
    {
        valid = [];
        for (var i = 0; i < filters.Length; i++)
        {
            var entry = filters[i];
            if (entry is null)
            {
                return ApiError.BadRequest($"Field 'filters[{i}]' must be a string, not null.");
            }

            var filter = EventCatalogue.Find(entry);
            if (filter is null)
            {
                return ApiError.BadRequest($"Field 'filters' contains '{Shorten(entry)}', which is not a webhook event. Valid events for {ScopeWord(scope)} webhooks: {string.Join(", ", EventCatalogue.FiltersFor(scope.Kind).Select(f => f.Name))}.");
            }

            if (!EventCatalogue.IsValidFor(filter, scope.Kind))
            {
                return ApiError.BadRequest($"Field 'filters' contains '{entry}', which {ScopeWord(scope)} webhooks cannot receive.");
            }
        }

        valid = filters.Distinct(StringComparer.Ordinal).ToArray()!;
        return null;
    }

    public static ApiError? CheckGroups(string?[] groups, WebhookScope scope, out string[] valid)
    {
        valid = [];
        var allowed = EventCatalogue.GroupsFor(scope.Kind);
        for (var i = 0; i < groups.Length; i++)
        {
            var entry = groups[i];
            if (entry is null)
            {
                return ApiError.BadRequest($"Field 'groups[{i}]' must be a string, not null.");
            }

            if (!allowed.Contains(entry))
            {
                return ApiError.BadRequest($"Field 'groups' contains '{Shorten(entry)}', which is not a group {ScopeWord(scope)} webhooks may use. Valid groups: {string.Join(", ", allowed)}.");
            }
        }

        valid = groups.Distinct(StringComparer.Ordinal).ToArray()!;
        return null;
    }

    public static ApiError? CheckSecret(string secret) =>
        secret.Length > MaxSecret ? ApiError.BadRequest($"Field 'secret' must be at most {MaxSecret} characters; it is {secret.Length}.") : null;

    private static string ScopeWord(WebhookScope scope) => scope.Kind switch
    {
        WebhookScopeKind.Organization => "organization",
        WebhookScopeKind.Stack => "stack",
        _ => "environment",
    };

    /// <summary>Echoes user input in messages without letting a huge value make a huge response.</summary>
    private static string Shorten(string value) => value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "…");
}
