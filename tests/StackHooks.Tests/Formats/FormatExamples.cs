using System.Text.Json.Nodes;

namespace StackHooks.Tests.Formats;

/// <summary>
/// A representative raw payload (SPEC §6.1) for every event of SPEC §4 and for the ping, as the server would send it:
/// the inputs of the golden Slack and Teams messages.
/// </summary>
public static class FormatExamples
{
    public const string BaseUrl = "https://stackhooks.example.com";
    public const string AvatarUrl = "https://avatars.githubusercontent.com/u/583231?v=4";
    public const string PingMessage = "🍹 Just a friendly ping from Pulumi 🍹";

    /// <summary>Filter name → kind, as SPEC §4 lists them, plus the ping.</summary>
    public static readonly IReadOnlyList<(string Event, string Kind)> Events =
    [
        ("stack_created", "stack"), ("stack_deleted", "stack"),
        ("preview_succeeded", "stack_preview"), ("preview_failed", "stack_preview"),
        ("update_succeeded", "stack_update"), ("update_failed", "stack_update"),
        ("destroy_succeeded", "stack_update"), ("destroy_failed", "stack_update"),
        ("refresh_succeeded", "stack_update"), ("refresh_failed", "stack_update"),
        ("import_succeeded", "stack_update"), ("import_failed", "stack_update"),
        ("deployment_queued", "deployment"), ("deployment_started", "deployment"),
        ("deployment_succeeded", "deployment"), ("deployment_failed", "deployment"),
        ("drift_detected", "drift_detection"), ("drift_detection_succeeded", "drift_detection"),
        ("drift_detection_failed", "drift_detection"),
        ("drift_remediation_succeeded", "drift_remediation"), ("drift_remediation_failed", "drift_remediation"),
        ("policy_violation_mandatory", "policy_violation"), ("policy_violation_advisory", "policy_violation"),
        ("environment_created", "environment"), ("environment_deleted", "environment"),
        ("environment_revision_created", "environment_revision"), ("environment_revision_retracted", "environment_revision"),
        ("environment_revision_tag_created", "environment_revision_tag"),
        ("environment_revision_tag_deleted", "environment_revision_tag"),
        ("environment_revision_tag_updated", "environment_revision_tag"),
        ("environment_tag_created", "environment_tag"), ("environment_tag_deleted", "environment_tag"),
        ("environment_tag_updated", "environment_tag"),
        ("imported_environment_changed", "imported_environment_changed"),
        ("ping", "ping"),
    ];

    public static string KindOf(string eventName) => Events.Single(e => e.Event == eventName).Kind;

    /// <summary>The example payload of one event.</summary>
    public static JsonObject Raw(string eventName)
    {
        var kind = KindOf(eventName);
        var outcome = eventName[(eventName.LastIndexOf('_') + 1)..];
        var stack = $"{BaseUrl}/acme/webshop/production";
        var raw = new JsonObject
        {
            ["organization"] = new JsonObject { ["name"] = "acme", ["githubLogin"] = "acme", ["avatarUrl"] = "" },
            ["user"] = new JsonObject { ["name"] = "Alice Liddell", ["githubLogin"] = "alice", ["avatarUrl"] = AvatarUrl },
        };
        if (kind == "ping")
        {
            raw["timestamp"] = 1767225600;
            raw["message"] = PingMessage;
            return raw;
        }

        raw["projectName"] = "webshop";
        if (kind.StartsWith("environment", StringComparison.Ordinal) || kind == "imported_environment_changed")
        {
            raw["environmentName"] = "payments";
            raw["environmentUrl"] = $"{BaseUrl}/acme/esc/webshop/payments";
        }
        else
        {
            raw["stackName"] = "production";
        }

        var succeeded = outcome != "failed";
        switch (kind)
        {
            case "stack":
                raw["action"] = outcome;
                raw["stackUrl"] = stack;
                break;
            case "stack_update":
                var operation = eventName[..eventName.IndexOf('_', StringComparison.Ordinal)];
                raw["updateUrl"] = $"{stack}/updates/42";
                raw["kind"] = operation;
                raw["result"] = outcome;
                raw["resourceChanges"] = (operation, succeeded) switch
                {
                    ("update", true) => new JsonObject { ["create"] = 3, ["update"] = 1, ["same"] = 28 },
                    ("update", false) => new JsonObject { ["create"] = 1, ["update"] = 1, ["delete"] = 0, ["same"] = 29 },
                    ("destroy", true) => new JsonObject { ["delete"] = 32 },
                    ("destroy", false) => new JsonObject { ["delete"] = 12, ["same"] = 20 },
                    ("refresh", _) => new JsonObject { ["update"] = 2, ["same"] = 30 },
                    _ => new JsonObject { ["import"] = 4, ["same"] = 28 },
                };
                raw["isPreview"] = false;
                raw["version"] = 42;
                break;
            case "stack_preview":
                raw["updateUrl"] = $"{stack}/previews/4b3f6c1e-9a7d-4e2b-8c55-1f0e2d3c4b5a";
                raw["kind"] = "update";
                raw["result"] = outcome;
                raw["resourceChanges"] = new JsonObject { ["create"] = 2, ["replace"] = 1, ["same"] = 29 };
                raw["isPreview"] = true;
                break;
            case "deployment":
                raw["deploymentUrl"] = $"{stack}/deployments/7";
                raw["version"] = 7;
                raw["operation"] = "update";
                raw["status"] = eventName switch { "deployment_queued" => "queued", "deployment_started" => "running", _ => outcome };
                break;
            case "drift_detection":
                raw["driftDetected"] = eventName == "drift_detected";
                raw["driftRunId"] = "0f9c2d7e-5b1a-4c3e-9d8f-7a6b5c4d3e2f";
                raw["status"] = eventName == "drift_detected" ? "succeeded" : outcome;
                raw["resourceChanges"] = eventName == "drift_detected"
                    ? new JsonObject { ["update"] = 2, ["delete"] = 1, ["same"] = 29 }
                    : new JsonObject();
                raw["referenceUrl"] = $"{stack}/drift/0f9c2d7e-5b1a-4c3e-9d8f-7a6b5c4d3e2f";
                break;
            case "drift_remediation":
                raw["status"] = outcome;
                raw["resourceChanges"] = new JsonObject { ["update"] = 2, ["create"] = 1, ["same"] = 29 };
                raw["referenceUrl"] = $"{stack}/drift/5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b";
                break;
            case "policy_violation":
                raw["policyPack"] = "aws-security";
                raw["policyName"] = outcome == "mandatory" ? "s3-no-public-read" : "ec2-instance-tags";
                raw["enforcementLevel"] = outcome;
                raw["resourceUrn"] = outcome == "mandatory"
                    ? "urn:pulumi:production::webshop::aws:s3/bucketV2:BucketV2::assets"
                    : "urn:pulumi:production::webshop::aws:ec2/instance:Instance::web-1";
                raw["message"] = outcome == "mandatory"
                    ? "Bucket 'assets' allows public read access.\nSet its ACL to 'private' or add a public access block."
                    : "Instance 'web-1' has no 'cost-center' tag.";
                raw["stackUrl"] = stack;
                break;
            case "environment":
                raw["action"] = outcome;
                break;
            case "environment_revision":
                raw["action"] = outcome;
                raw["revision"] = 12;
                break;
            case "environment_revision_tag":
                raw["tagName"] = "stable";
                raw["action"] = outcome;
                if (outcome != "deleted")
                {
                    raw["revision"] = 12;
                }

                break;
            case "environment_tag":
                raw["tagName"] = "team";
                raw["action"] = outcome;
                break;
            case "imported_environment_changed":
                raw["affectedRevisions"] = new JsonArray(12, 13);
                raw["importedEnvironmentReference"] = new JsonObject
                {
                    ["projectName"] = "shared",
                    ["environmentName"] = "aws-credentials",
                    ["revision"] = 5,
                };
                break;
        }

        return raw;
    }

    /// <summary>
    /// Payloads that try the renderers: markup in names and messages, text far past every limit, missing and mistyped
    /// fields, unsafe links, an event that is not in the catalogue.
    /// </summary>
    public static IEnumerable<(string Name, string Event, string Kind, JsonObject Raw)> EdgeCases()
    {
        yield return ("markup-policy", "policy_violation_mandatory", "policy_violation", WithMarkup(Raw("policy_violation_mandatory")));
        yield return ("markup-update", "update_failed", "stack_update", WithMarkup(Raw("update_failed")));
        yield return ("markup-environment", "environment_tag_updated", "environment_tag", WithMarkup(Raw("environment_tag_updated")));
        yield return ("long-policy", "policy_violation_advisory", "policy_violation", Long(Raw("policy_violation_advisory")));
        yield return ("long-update", "update_succeeded", "stack_update", Long(Raw("update_succeeded")));
        yield return ("long-environment", "imported_environment_changed", "imported_environment_changed", Long(Raw("imported_environment_changed")));
        yield return ("long-ping", "ping", "ping", Long(Raw("ping")));
        yield return ("mistyped", "update_failed", "stack_update", Mistyped());
        yield return ("mistyped-deployment", "deployment_started", "deployment", Mistyped());
        yield return ("mistyped-environment", "imported_environment_changed", "imported_environment_changed", Mistyped());
        yield return ("unknown-event", "stack_exploded", "stack", Raw("update_failed"));
        yield return ("unknown-kind", "", "", new JsonObject { ["status"] = "succeeded" });
        foreach (var (name, kind) in Events)
        {
            yield return ($"empty-{name}", name, kind, []);
        }
    }

    public const string Markup = "<script>&";

    private static JsonObject WithMarkup(JsonObject raw)
    {
        raw["organization"]!["name"] = "acme <b>&</b>";
        raw["user"]!["name"] = Markup;
        foreach (var field in new[] { "message", "policyName", "policyPack", "tagName", "stackName", "environmentName" })
        {
            if (raw.ContainsKey(field))
            {
                raw[field] = $"{Markup} > quote & <@channel> <https://evil.example|click> &amp;";
            }
        }

        if (raw["resourceChanges"] is JsonObject changes)
        {
            changes["<b>&"] = 2;
        }

        return raw;
    }

    /// <summary>Every text field ten thousand characters long, with markup and emoji on the way.</summary>
    private static JsonObject Long(JsonObject raw)
    {
        static string Text(string seed) => string.Concat(Enumerable.Repeat(seed, 10_000 / seed.Length + 1))[..10_000];
        raw["organization"]!["name"] = Text("org-");
        raw["user"]!["name"] = Text("Alice & Bob <team> 👩‍💻 ");
        raw["user"]!["githubLogin"] = Text("login");
        raw["projectName"] = Text("project");
        foreach (var field in new[] { "stackName", "environmentName", "policyPack", "policyName", "resourceUrn", "tagName" })
        {
            if (raw.ContainsKey(field))
            {
                raw[field] = Text($"{field}-&-");
            }
        }

        raw["message"] = Text("A very long message & <markup> 🍹 with many words;\n");
        if (raw.ContainsKey("resourceChanges"))
        {
            var changes = new JsonObject();
            for (var i = 0; i < 200; i++)
            {
                changes[$"operation-{i}-" + new string('x', 50)] = i;
            }

            raw["resourceChanges"] = changes;
        }

        if (raw.ContainsKey("importedEnvironmentReference"))
        {
            raw["affectedRevisions"] = new JsonArray([.. Enumerable.Range(1, 5000).Select(i => (JsonNode)i)]);
            raw["importedEnvironmentReference"]!["environmentName"] = Text("imported");
        }

        raw["updateUrl"] = $"{BaseUrl}/{new string('u', 5000)}";
        return raw;
    }

    private static JsonObject Mistyped() => new()
    {
        ["organization"] = "acme",
        ["user"] = new JsonArray(1, 2),
        ["projectName"] = 42,
        ["stackName"] = new JsonObject { ["name"] = "dev" },
        ["environmentName"] = true,
        ["result"] = 5,
        ["status"] = new JsonArray(),
        ["kind"] = null,
        ["isPreview"] = "yes",
        ["version"] = new JsonObject { ["a"] = 1 },
        ["resourceChanges"] = new JsonArray(1, 2),
        ["updateUrl"] = "javascript:alert(1)",
        ["deploymentUrl"] = "not a url",
        ["environmentUrl"] = "ftp://example.com/x",
        ["driftDetected"] = "maybe",
        ["affectedRevisions"] = "1,2",
        ["importedEnvironmentReference"] = "shared/creds",
        ["timestamp"] = "yesterday",
        ["message"] = new JsonObject(),
    };
}
