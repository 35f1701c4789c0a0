using System.Text.Json;
using System.Text.Json.Nodes;
using StackHooks.Api;

namespace StackHooks.Events;

/// <summary>Who an event is about and who caused it.</summary>
public sealed record EventSubject(string Org, WebhookScopeKind Scope, string Project, string Target);

/// <summary>The caller as it appears in payloads (<c>user</c>).</summary>
public sealed record PayloadUser(string Name, string GithubLogin, string AvatarUrl);

/// <summary>
/// The raw payloads of SPEC §6.1: the fields every payload has, the ones derived from the event's filter name
/// (result, status, action, …), the caller's fields, and links from <see cref="PublicLinks"/>.
/// </summary>
public static class RawPayload
{
    public const string PingMessage = "🍹 Just a friendly ping from Pulumi 🍹";

    /// <summary>How payloads are serialized: readable UTF-8 (see <see cref="ApiJson.Options"/>).</summary>
    public static JsonSerializerOptions Json => ApiJson.Options;

    public static JsonObject Build(
        EventFilter filter, EventSubject subject, PayloadUser user, JsonObject fields, PublicLinks links, string eventId, long? version)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(links);
        var payload = new JsonObject
        {
            ["organization"] = new JsonObject { ["name"] = subject.Org, ["githubLogin"] = subject.Org, ["avatarUrl"] = "" },
            ["user"] = new JsonObject { ["name"] = user.Name, ["githubLogin"] = user.GithubLogin, ["avatarUrl"] = user.AvatarUrl },
            ["projectName"] = subject.Project,
        };
        var (org, project, target) = (subject.Org, subject.Project, subject.Target);
        if (subject.Scope == WebhookScopeKind.Environment)
        {
            payload["environmentName"] = target;
            payload["environmentUrl"] = links.Environment(org, project, target);
        }
        else
        {
            payload["stackName"] = target;
        }

        var outcome = Outcome(filter);
        switch (filter.Kind)
        {
            case "stack":
            case "environment":
                payload["action"] = outcome;
                if (filter.Kind == "stack")
                {
                    payload["stackUrl"] = links.Stack(org, project, target);
                }

                break;
            case "stack_update":
                payload["updateUrl"] = links.Update(org, project, target, version ?? 0);
                payload["kind"] = filter.Name[..filter.Name.IndexOf('_', StringComparison.Ordinal)];
                payload["result"] = outcome;
                payload["resourceChanges"] = Copy(fields, "resourceChanges") ?? new JsonObject();
                payload["isPreview"] = false;
                payload["version"] = version ?? 0;
                break;
            case "stack_preview":
                payload["updateUrl"] = links.Preview(org, project, target, eventId);
                payload["kind"] = "update";
                payload["result"] = outcome;
                payload["resourceChanges"] = Copy(fields, "resourceChanges") ?? new JsonObject();
                payload["isPreview"] = true;
                break;
            case "deployment":
                var deploymentVersion = fields["version"]?.GetValue<long>() ?? version ?? 0;
                payload["deploymentUrl"] = links.Deployment(org, project, target, deploymentVersion);
                payload["version"] = deploymentVersion;
                payload["operation"] = fields["operation"]?.GetValue<string>() ?? "update";
                payload["status"] = outcome;
                break;
            case "drift_detection":
                payload["driftDetected"] = filter.Name == "drift_detected" || (fields["driftDetected"]?.GetValue<bool>() ?? false);
                payload["driftRunId"] = fields["driftRunId"]?.GetValue<string>() ?? eventId;
                payload["status"] = outcome;
                payload["resourceChanges"] = Copy(fields, "resourceChanges") ?? new JsonObject();
                payload["referenceUrl"] = $"{links.Stack(org, project, target)}/drift/{payload["driftRunId"]}";
                break;
            case "drift_remediation":
                payload["status"] = outcome;
                payload["resourceChanges"] = Copy(fields, "resourceChanges") ?? new JsonObject();
                payload["referenceUrl"] = $"{links.Stack(org, project, target)}/drift/{fields["driftRunId"]?.GetValue<string>() ?? eventId}";
                break;
            case "policy_violation":
                payload["policyPack"] = Copy(fields, "policyPack") ?? "";
                payload["policyName"] = Copy(fields, "policyName") ?? "";
                payload["enforcementLevel"] = outcome;
                payload["resourceUrn"] = Copy(fields, "resourceUrn") ?? "";
                payload["message"] = Copy(fields, "message") ?? "";
                payload["stackUrl"] = links.Stack(org, project, target);
                break;
            case "environment_revision":
                payload["action"] = outcome;
                payload["revision"] = Copy(fields, "revision");
                break;
            case "environment_revision_tag":
            case "environment_tag":
                payload["tagName"] = Copy(fields, "tagName") ?? "";
                payload["action"] = outcome;
                if (fields.ContainsKey("revision"))
                {
                    payload["revision"] = Copy(fields, "revision");
                }

                break;
            case "imported_environment_changed":
                payload["affectedRevisions"] = Copy(fields, "affectedRevisions") ?? new JsonArray();
                payload["importedEnvironmentReference"] = Copy(fields, "importedEnvironmentReference") ?? new JsonObject();
                break;
        }

        return payload;
    }

    /// <summary>The ping payload (SPEC §6.1).</summary>
    public static JsonObject Ping(long unixSeconds) => new() { ["timestamp"] = unixSeconds, ["message"] = PingMessage };

    /// <summary>The part of the filter name that says how it went: succeeded, failed, created, running, mandatory, …</summary>
    public static string Outcome(EventFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter.Name switch
        {
            "deployment_queued" => "queued",
            "deployment_started" => "running",
            "drift_detected" => "succeeded",
            "imported_environment_changed" => "changed",
            var name => name[(name.LastIndexOf('_') + 1)..],
        };
    }

    private static JsonNode? Copy(JsonObject fields, string name) => fields[name]?.DeepClone();
}
