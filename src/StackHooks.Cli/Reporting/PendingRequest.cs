using System.Text.Json.Nodes;
using StackHooks.Cli.EventLog;

namespace StackHooks.Cli.Reporting;

/// <summary>
/// One request to the server that records something: created, sent with retries, and kept in the spool until the server
/// has it. <see cref="PathTemplate"/> holds <c>{org}</c> where the organization goes, filled in when it is sent, so that a
/// request made while the server could not be asked which organization to use can still be spooled.
/// </summary>
/// <param name="AlsoDone">Statuses that mean the work is already done (409 for a stack that exists, 404 for one already gone).</param>
/// <param name="Description">How messages name it: "update_succeeded for proj/dev".</param>
public sealed record PendingRequest(
    string Method, string PathTemplate, string? Organization, JsonObject? Body, string? IdempotencyKey, IReadOnlyList<int> AlsoDone, string Description)
{
    public const string OrgPlaceholder = "{org}";

    public static PendingRequest CreateStack(string? org, string project, string stack) =>
        new("POST", $"/api/stacks/{OrgPlaceholder}/{Segment(project)}", org, new JsonObject { ["stackName"] = stack }, null, [409],
            $"stack_created for {project}/{stack}");

    public static PendingRequest DeleteStack(string? org, string project, string stack) =>
        new("DELETE", $"/api/stacks/{OrgPlaceholder}/{Segment(project)}/{Segment(stack)}", org, null, null, [404],
            $"stack_deleted for {project}/{stack}");

    public static PendingRequest RecordEvent(string? org, string project, string stack, StackEvent stackEvent, string? deploymentId, string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(stackEvent);
        return new("POST", $"/api/stacks/{OrgPlaceholder}/{Segment(project)}/{Segment(stack)}/events", org, stackEvent.ToBody(deploymentId),
            idempotencyKey, [], $"{stackEvent.Name} for {project}/{stack}");
    }

    public static PendingRequest SetDeploymentStatus(string org, string project, string stack, string deploymentId, string status, string? message)
    {
        var body = new JsonObject { ["status"] = status };
        if (message is not null)
        {
            body["message"] = message;
        }

        // 409: the deployment already has a final status, as when an earlier try went through but its answer was lost.
        return new("PATCH", $"/api/stacks/{OrgPlaceholder}/{Segment(project)}/{Segment(stack)}/deployments/{Segment(deploymentId)}", org, body, null,
            status == "running" ? [] : [409], $"deployment {deploymentId} of {project}/{stack} {status}");
    }

    /// <summary>The request's path for <paramref name="org"/>.</summary>
    public string PathFor(string org) => PathTemplate.Replace(OrgPlaceholder, Segment(org), StringComparison.Ordinal);

    public PendingRequest WithOrganization(string org) => this with { Organization = org };

    private static string Segment(string value) => Uri.EscapeDataString(value);
}
