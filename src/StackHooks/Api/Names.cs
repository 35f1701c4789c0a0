using System.Text.RegularExpressions;

namespace StackHooks.Api;

/// <summary>Name rules of SPEC §1 and §3.</summary>
public static partial class Names
{
    /// <summary>Organization, project, stack and environment names.</summary>
    public static bool IsValidEntityName(string? name) => name is not null && EntityName().IsMatch(name);

    /// <summary>
    /// Webhook names: 1–32 of [A-Za-z0-9._-], except "." and "..": as a path segment those are normalised away by
    /// clients and by the server, so such a webhook could never be addressed again.
    /// </summary>
    public static bool IsValidWebhookName(string? name) => name is not null and not ("." or "..") && WebhookName().IsMatch(name);

    public const string EntityNameRule = "1–100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit";

    public const string WebhookNameRule = "1–32 characters of letters, digits, '.', '_' or '-' (and not \".\" or \"..\")";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\z")]
    private static partial Regex EntityName();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,32}\z")]
    private static partial Regex WebhookName();
}
