using System.Text.Json.Nodes;

namespace StackHooks.Cli.Runner;

/// <summary>A deployment as a claim returns it (SPEC §6.4); only what the runner uses.</summary>
public sealed record Deployment(string Id, string ProjectName, string StackName, string Operation, long Version)
{
    /// <summary>Reads a claim's answer; null when it is not a deployment.</summary>
    public static Deployment? From(JsonNode? json)
    {
        if (json is not JsonObject deployment)
        {
            return null;
        }

        var id = Text(deployment, "id");
        var project = Text(deployment, "projectName");
        var stack = Text(deployment, "stackName");
        if (id is null || project is null || stack is null)
        {
            return null;
        }

        var version = deployment["version"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
        return new Deployment(id, project, stack, Text(deployment, "operation") ?? "update", version);
    }

    /// <summary>The pulumi arguments that carry out the operation without prompting; null for an operation the runner does not know.</summary>
    public IReadOnlyList<string>? PulumiArguments() => Operation switch
    {
        "update" => ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", StackName],
        "preview" => ["preview", "--non-interactive", "--stack", StackName],
        "destroy" => ["destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", StackName],
        "refresh" => ["refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", StackName],
        _ => null,
    };

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
