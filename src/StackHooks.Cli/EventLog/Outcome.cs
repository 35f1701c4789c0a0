using System.Text.Json.Nodes;
using StackHooks.Cli.Pulumi;

namespace StackHooks.Cli.EventLog;

/// <summary>An event to record for a stack (SPEC §4.1): its filter name and the payload fields the tool knows.</summary>
public sealed record StackEvent(string Name, JsonObject Fields)
{
    /// <summary>The request body of <c>POST …/events</c>.</summary>
    public JsonObject ToBody(string? deploymentId)
    {
        var body = new JsonObject { ["event"] = Name };
        foreach (var (key, value) in Fields)
        {
            body[key] = value?.DeepClone();
        }

        if (deploymentId is not null)
        {
            body["deploymentId"] = deploymentId;
        }

        return body;
    }
}

/// <summary>What a run of pulumi amounts to: the events to record and, when nothing can be recorded, why.</summary>
public sealed record RunOutcome(IReadOnlyList<StackEvent> Events, string? Warning);

/// <summary>
/// Turns an engine event log and pulumi's exit code into the events of SPEC §10: the operation's outcome from the last
/// summary (or from the exit code when there is none), and one event per distinct mandatory or advisory policy violation.
/// </summary>
public static class Outcome
{
    /// <summary>What the server accepts in a text field; longer values are cut so the event is never refused.</summary>
    private const int MaxText = 4096;

    private const int MaxMessage = 16 * 1024;

    /// <summary>Pulumi's exit code (since CLI 3.227) for "stack not found".</summary>
    public const int StackNotFoundExitCode = 6;

    public static RunOutcome Decide(PulumiInvocation invocation, EngineEventLog log, int exitCode)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(log);
        if (!invocation.IsEngineOperation)
        {
            return new RunOutcome([], null);
        }

        var events = new List<StackEvent>();
        string? warning = null;
        if (log.Summary is { } summary)
        {
            var isPreview = summary.IsPreview ?? (invocation.Command == PulumiCommand.Preview || invocation.PreviewOnly);
            var succeeded = summary.Result switch
            {
                "succeeded" => true,
                "failed" or "canceled" or "cancelled" => false,
                _ => exitCode == 0,
            };
            var operation = isPreview ? "preview" : invocation.Operation;
            var changes = new JsonObject();
            foreach (var (name, count) in summary.ResourceChanges)
            {
                changes[name] = count;
            }

            events.Add(new StackEvent($"{operation}_{(succeeded ? "succeeded" : "failed")}", new JsonObject { ["resourceChanges"] = changes }));
        }
        else if (exitCode == StackNotFoundExitCode)
        {
            // Pulumi says the stack does not exist: recording a failure would create a stack in StackHooks that exists nowhere else.
            warning = "pulumi could not find the stack (exit code 6); nothing recorded";
        }
        else if (exitCode != 0)
        {
            var operation = invocation.Command == PulumiCommand.Preview || invocation.PreviewOnly ? "preview" : invocation.Operation;
            events.Add(new StackEvent($"{operation}_failed", new JsonObject { ["resourceChanges"] = new JsonObject() }));
        }
        else
        {
            warning = "pulumi exited 0 but its event log holds no summary; no outcome recorded";
        }

        foreach (var violation in log.PolicyViolations)
        {
            events.Add(new StackEvent($"policy_violation_{violation.EnforcementLevel}", new JsonObject
            {
                ["policyPack"] = Cut(violation.PolicyPack, MaxText),
                ["policyName"] = Cut(violation.PolicyName, MaxText),
                ["resourceUrn"] = Cut(violation.ResourceUrn, MaxText),
                ["message"] = Cut(violation.Message, MaxMessage),
            }));
        }

        return new RunOutcome(events, warning);
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
