using System.Collections.Frozen;

namespace StackHooks.Events;

/// <summary>The three places a webhook can be attached.</summary>
public enum WebhookScopeKind
{
    Organization,
    Stack,
    Environment,
}

/// <summary>One subscribable event: its filter name, its kind (sent as <c>Pulumi-Webhook-Kind</c>) and its group.</summary>
public sealed record EventFilter(string Name, string Kind, string Group, bool StackOrEnvironmentHooksMayReceive);

/// <summary>
/// The event catalogue of SPEC §4 — the one place that says which events exist, what kind and group each has, and which
/// scopes may subscribe to it. Webhook validation and delivery matching both read it.
/// </summary>
public static class EventCatalogue
{
    public const string Stacks = "stacks";
    public const string Deployments = "deployments";
    public const string Policies = "policies";
    public const string Environments = "environments";

    public static IReadOnlyList<EventFilter> All { get; } =
    [
        .. Kind("stack", Stacks, orgOnly: true, "stack_created", "stack_deleted"),
        .. Kind("stack_preview", Stacks, orgOnly: false, "preview_succeeded", "preview_failed"),
        .. Kind("stack_update", Stacks, orgOnly: false,
            "update_succeeded", "update_failed", "destroy_succeeded", "destroy_failed",
            "refresh_succeeded", "refresh_failed", "import_succeeded", "import_failed"),
        .. Kind("deployment", Deployments, orgOnly: false, "deployment_queued", "deployment_started", "deployment_succeeded", "deployment_failed"),
        .. Kind("drift_detection", Deployments, orgOnly: false, "drift_detected", "drift_detection_succeeded", "drift_detection_failed"),
        .. Kind("drift_remediation", Deployments, orgOnly: false, "drift_remediation_succeeded", "drift_remediation_failed"),
        .. Kind("policy_violation", Policies, orgOnly: false, "policy_violation_mandatory", "policy_violation_advisory"),
        .. Kind("environment", Environments, orgOnly: true, "environment_created", "environment_deleted"),
        .. Kind("environment_revision", Environments, orgOnly: false, "environment_revision_created", "environment_revision_retracted"),
        .. Kind("environment_revision_tag", Environments, orgOnly: false,
            "environment_revision_tag_created", "environment_revision_tag_deleted", "environment_revision_tag_updated"),
        .. Kind("environment_tag", Environments, orgOnly: false, "environment_tag_created", "environment_tag_deleted", "environment_tag_updated"),
        .. Kind("imported_environment_changed", Environments, orgOnly: false, "imported_environment_changed"),
    ];

    private static readonly FrozenDictionary<string, EventFilter> ByName = All.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);

    public static EventFilter? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The groups a webhook of this scope may subscribe to.</summary>
    public static IReadOnlyList<string> GroupsFor(WebhookScopeKind scope) => scope switch
    {
        WebhookScopeKind.Organization => [Stacks, Deployments, Policies, Environments],
        WebhookScopeKind.Stack => [Stacks, Deployments, Policies],
        _ => [Environments],
    };

    /// <summary>Whether a webhook of this scope may receive (and so subscribe to) the event.</summary>
    public static bool IsValidFor(EventFilter filter, WebhookScopeKind scope)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return scope switch
        {
            WebhookScopeKind.Organization => true,
            WebhookScopeKind.Stack => filter.Group != Environments && filter.StackOrEnvironmentHooksMayReceive,
            _ => filter.Group == Environments && filter.StackOrEnvironmentHooksMayReceive,
        };
    }

    /// <summary>The filters a webhook of this scope may subscribe to, in catalogue order.</summary>
    public static IEnumerable<EventFilter> FiltersFor(WebhookScopeKind scope) => All.Where(f => IsValidFor(f, scope));

    /// <summary>
    /// Whether a webhook with these filters and groups wants the event: the union of both, and both empty means every
    /// event its scope may receive. Scope coverage and the active flag are the caller's to check.
    /// </summary>
    public static bool Wants(IReadOnlyCollection<string> filters, IReadOnlyCollection<string> groups, WebhookScopeKind scope, EventFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(filter);
        if (!IsValidFor(filter, scope))
        {
            return false;
        }

        return (filters.Count == 0 && groups.Count == 0) || filters.Contains(filter.Name) || groups.Contains(filter.Group);
    }

    private static IEnumerable<EventFilter> Kind(string kind, string group, bool orgOnly, params string[] names) =>
        names.Select(n => new EventFilter(n, kind, group, !orgOnly));
}
