using StackHooks.Cli.EventLog;
using StackHooks.Cli.Pulumi;
using StackHooks.Cli.Reporting;

namespace StackHooks.Cli.Run;

/// <summary>
/// One run of pulumi with its outcome recorded (SPEC §10), shared by <c>stackhooks run</c> and <c>stackhooks runner</c>: runs
/// the command (adding <c>--event-log</c> and <c>PULUMI_DEBUG_COMMANDS</c> for engine operations), then works out the stack
/// and what happened, and reports it. Whatever happens to the report, the result is pulumi's exit code.
/// </summary>
public sealed class PulumiRun(ReportingSession session)
{
    private const string DebugCommandsVariable = "PULUMI_DEBUG_COMMANDS";
    private static readonly TimeSpan HelperTimeout = TimeSpan.FromSeconds(60);

    /// <param name="invocation">The pulumi command line.</param>
    /// <param name="workingDirectory">Where to run it; null for the current directory.</param>
    /// <param name="organization">The organization to record in; null to ask the server when sending.</param>
    /// <param name="deploymentId">The deployment this run carries out (runner), sent with every event.</param>
    /// <param name="beforeReport">Work to finish before this run's report is sent (sending the spool first).</param>
    public async Task<int> ExecuteAsync(
        PulumiInvocation invocation, string? workingDirectory, string? organization, string? deploymentId, SignalRelay signals, Func<Task>? beforeReport)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var messages = session.Messages;
        var runId = Guid.CreateVersion7().ToString("N");
        string? temporaryLog = null;
        string? stackBefore = null;
        var arguments = invocation.Arguments;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        string? eventLog = null;
        try
        {
            if (invocation.Command == PulumiCommand.StackRm && invocation.NamedStack is null)
            {
                stackBefore = await ShowStackNameAsync(invocation, workingDirectory); // after the removal there is no current stack to ask about
            }

            if (invocation.IsEngineOperation)
            {
                environment[DebugCommandsVariable] = "true";
                if (invocation.EventLogFlag is { } given)
                {
                    eventLog = Path.GetFullPath(given, PulumiDirectory(invocation, workingDirectory));
                }
                else
                {
                    eventLog = temporaryLog = Path.Combine(Path.GetTempPath(), $"stackhooks-{runId}.events.jsonl");
                    arguments = invocation.ArgumentsWithEventLog(eventLog);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            messages.Warning($"could not prepare the event log ({e.Message}); running pulumi without it");
        }

        var exitCode = await ChildProcess.RunAsync(invocation.Program, arguments, environment, workingDirectory, signals, messages);
        if (exitCode is null)
        {
            return ChildProcess.NotFoundExitCode;
        }

        IReadOnlyList<PendingRequest> requests = [];
        try
        {
            requests = await RequestsForAsync(invocation, workingDirectory, organization, deploymentId, runId, eventLog, stackBefore, exitCode.Value);
        }
#pragma warning disable CA1031 // whatever goes wrong with the report, pulumi's exit code is the result
        catch (Exception e)
        {
            messages.Error($"could not work out what to record: {e.Message}");
        }
        finally
        {
            if (temporaryLog is not null)
            {
                TryDelete(temporaryLog);
            }
        }

        try
        {
            if (beforeReport is not null)
            {
                await beforeReport();
            }

            if (requests.Count > 0)
            {
                await session.Reporter.SendAsync(requests, CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            messages.Error($"could not record the outcome: {e.Message}");
        }
#pragma warning restore CA1031

        return exitCode.Value;
    }

    private async Task<IReadOnlyList<PendingRequest>> RequestsForAsync(
        PulumiInvocation invocation, string? workingDirectory, string? organization, string? deploymentId, string runId, string? eventLog,
        string? stackBefore, int exitCode)
    {
        var messages = session.Messages;
        if (invocation.Command == PulumiCommand.Other || (!invocation.IsEngineOperation && exitCode != 0))
        {
            return [];
        }

        var reference = invocation.NamedStack ?? StackReference.Parse(stackBefore ?? await ShowStackNameAsync(invocation, workingDirectory));
        if (reference is null)
        {
            messages.Warning("could not tell which stack pulumi ran on (no --stack, and 'pulumi stack --show-name' gave none); nothing recorded");
            return [];
        }

        var project = reference.Project ?? ProjectFile.FindProjectName(PulumiDirectory(invocation, workingDirectory));
        if (project is null)
        {
            messages.Warning("could not tell the project (no Pulumi.yaml here or above, and the stack is not 'org/project/stack'); nothing recorded");
            return [];
        }

        var stack = reference.Stack;
        switch (invocation.Command)
        {
            case PulumiCommand.StackInit:
                return [PendingRequest.CreateStack(organization, project, stack)];
            case PulumiCommand.StackRm:
                return [PendingRequest.DeleteStack(organization, project, stack)];
        }

        var log = eventLog is null ? EngineEventLog.Empty : EngineEventLog.Read(eventLog);
        if (log.SkippedLines > 0)
        {
            messages.Warning($"skipped {log.SkippedLines} unreadable line(s) of pulumi's event log");
        }

        var outcome = Outcome.Decide(invocation, log, exitCode);
        if (outcome.Warning is not null)
        {
            messages.Warning(outcome.Warning);
        }

        if (outcome.Events.Count == 0)
        {
            return [];
        }

        var requests = new List<PendingRequest> { PendingRequest.CreateStack(organization, project, stack) };
        requests.AddRange(outcome.Events.Select((e, n) => PendingRequest.RecordEvent(organization, project, stack, e, deploymentId, $"stackhooks-{runId}-{n}")));
        if (invocation.Command == PulumiCommand.Destroy && invocation.RemoveStack && exitCode == 0)
        {
            requests.Add(PendingRequest.DeleteStack(organization, project, stack)); // destroy --remove removes the stack too
        }

        return requests;
    }

    /// <summary>The current stack according to <c>pulumi stack --show-name</c>, or null.</summary>
    private static async Task<string?> ShowStackNameAsync(PulumiInvocation invocation, string? workingDirectory)
    {
        var output = await ChildProcess.CaptureAsync(invocation.Program, [.. invocation.LocationFlags, "stack", "--show-name"], workingDirectory, HelperTimeout);
        var name = output?.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
        return string.IsNullOrEmpty(name) ? null : name;
    }

    /// <summary>The directory pulumi works in: <c>--cwd</c> (relative to where it was started), else where it was started.</summary>
    private static string PulumiDirectory(PulumiInvocation invocation, string? workingDirectory)
    {
        var start = workingDirectory ?? Directory.GetCurrentDirectory();
        return invocation.Cwd is null ? start : Path.GetFullPath(invocation.Cwd, start);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // a leftover temporary file is harmless
        }
        catch (UnauthorizedAccessException)
        {
            // a leftover temporary file is harmless
        }
    }
}
