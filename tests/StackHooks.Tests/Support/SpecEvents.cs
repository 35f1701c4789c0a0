namespace StackHooks.Tests.Support;

/// <summary>The event filters and groups of SPEC §4, written out here so the tests check the server against the spec.</summary>
public static class SpecEvents
{
    public static readonly string[] OrganizationOnlyStackEvents = ["stack_created", "stack_deleted"];

    public static readonly string[] StackEvents =
    [
        "preview_succeeded", "preview_failed",
        "update_succeeded", "update_failed", "destroy_succeeded", "destroy_failed",
        "refresh_succeeded", "refresh_failed", "import_succeeded", "import_failed",
        "deployment_queued", "deployment_started", "deployment_succeeded", "deployment_failed",
        "drift_detected", "drift_detection_succeeded", "drift_detection_failed",
        "drift_remediation_succeeded", "drift_remediation_failed",
        "policy_violation_mandatory", "policy_violation_advisory",
    ];

    public static readonly string[] OrganizationOnlyEnvironmentEvents = ["environment_created", "environment_deleted"];

    public static readonly string[] EnvironmentEvents =
    [
        "environment_revision_created", "environment_revision_retracted",
        "environment_revision_tag_created", "environment_revision_tag_deleted", "environment_revision_tag_updated",
        "environment_tag_created", "environment_tag_deleted", "environment_tag_updated",
        "imported_environment_changed",
    ];

    public static string[] AllEvents => [.. OrganizationOnlyStackEvents, .. StackEvents, .. OrganizationOnlyEnvironmentEvents, .. EnvironmentEvents];

    public static string[] ValidFilters(HookScope scope) =>
        scope.IsOrganization ? AllEvents : scope.IsEnvironment ? EnvironmentEvents : StackEvents;

    public static string[] InvalidFilters(HookScope scope) =>
        scope.IsOrganization ? [] : AllEvents.Except(ValidFilters(scope)).ToArray();

    public static readonly string[] AllGroups = ["stacks", "deployments", "policies", "environments"];

    public static string[] ValidGroups(HookScope scope) =>
        scope.IsOrganization ? AllGroups : scope.IsEnvironment ? ["environments"] : ["stacks", "deployments", "policies"];

    public static string[] InvalidGroups(HookScope scope) => AllGroups.Except(ValidGroups(scope)).ToArray();
}
