using StackHooks.Cli.Pulumi;
using StackHooks.Cli.Reporting;
using StackHooks.Cli.Run;

namespace StackHooks.Cli.Runner;

/// <summary>
/// <c>stackhooks runner --org ORG --projects DIR [--once] [--poll 00:00:05]</c>: carries out the deployments that
/// <c>pulumi_deployments</c> webhooks queue (SPEC §6.4, §10). Claims the oldest queued deployment, finds its project's folder
/// under DIR, sets it running, runs pulumi there with the same reporting as <c>run</c> (events carry the deployment's id),
/// and sets it succeeded or failed from pulumi's exit code. The first SIGTERM or Ctrl-C lets the deployment in progress finish.
/// </summary>
public sealed class RunnerCommand(ReportingSession session, string organization, string projectsDirectory, string pulumi)
{
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> ExecuteAsync(Connection connection, Messages messages, string projectsDirectory, bool once, TimeSpan poll)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(messages);
        if (!Directory.Exists(projectsDirectory))
        {
            messages.Error($"--projects: no folder '{projectsDirectory}'");
            return RunCommand.UsageExitCode;
        }

        using var session = new ReportingSession(connection, messages);
        var organization = connection.Organization;
        if (organization is null)
        {
            var answer = await session.Organizations.FromServerAsync(ClaimTimeout, CancellationToken.None);
            if (answer.Organization is null)
            {
                messages.Error($"{answer.Problem}; name the organization with --org");
                return answer.Kind == AnswerKind.Rejected ? RunCommand.UsageExitCode : 1;
            }

            organization = answer.Organization;
        }

        using var signals = new SignalRelay(SignalHandling.FinishFirst, messages);
        var runner = new RunnerCommand(session, organization, Path.GetFullPath(projectsDirectory), "pulumi");
        return await runner.RunAsync(once, poll, signals);
    }

    public async Task<int> RunAsync(bool once, TimeSpan poll, SignalRelay signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var messages = session.Messages;
        messages.Info($"runner for {organization}: projects under {projectsDirectory}{(once ? ", until the queue is empty" : $", polling every {poll}")}");
        var claimPath = $"/api/orgs/{Uri.EscapeDataString(organization)}/deployments/claim";
        while (!signals.StopRequested.IsCancellationRequested)
        {
            if (session.Spool.Files().Count > 0)
            {
                await session.Reporter.FlushSpoolAsync(session.Connection.ReportTimeout, CancellationToken.None);
            }

            var claim = await session.Client.SendAsync("POST", claimPath, null, null, ClaimTimeout, CancellationToken.None);
            if (claim.Kind == AnswerKind.Rejected)
            {
                messages.Error($"could not claim deployments of {organization}: {claim.Problem} (the runner's token must be an admin of the organization)");
                return 1;
            }

            if (claim.Kind == AnswerKind.Transient)
            {
                messages.Warning($"could not claim deployments of {organization}: {claim.Problem}");
                if (once)
                {
                    return 1;
                }
            }
            else if (claim.Status == 200)
            {
                if (Deployment.From(claim.Json) is { } deployment)
                {
                    await CarryOutAsync(deployment, signals);
                    continue;
                }

                messages.Error($"the claim's answer is not a deployment: {Shorten(claim.Body)}");
                return 1;
            }
            else if (once)
            {
                return 0; // 204: nothing queued
            }

            await WaitAsync(poll, signals.StopRequested);
        }

        return 0;
    }

    private async Task CarryOutAsync(Deployment deployment, SignalRelay signals)
    {
        var messages = session.Messages;
        var name = $"deployment {deployment.Id} ({deployment.Operation} of {deployment.ProjectName}/{deployment.StackName})";
        messages.Info($"claimed {name}");
        var arguments = deployment.PulumiArguments();
        var folder = ProjectFile.FindProjectFolder(projectsDirectory, deployment.ProjectName);
        var reason = arguments is null ? $"the runner does not know the operation '{deployment.Operation}'"
            : folder is null ? $"no folder under {projectsDirectory} has a Pulumi.yaml with name '{deployment.ProjectName}'"
            : null;
        if (reason is not null)
        {
            messages.Error($"{name} failed: {reason}");
            await session.Reporter.SendAsync([SetStatus(deployment, "failed", reason)], CancellationToken.None);
            return;
        }

        var running = await session.Reporter.SendNowAsync(SetStatus(deployment, "running", null), CancellationToken.None);
        if (running.Kind == AnswerKind.Rejected)
        {
            messages.Error($"{name} not run: the server refused to set it running ({running.Problem})");
            return;
        }

        if (running.Kind == AnswerKind.Transient)
        {
            messages.Warning($"could not set {name} running ({running.Problem}); running it anyway");
        }

        var invocation = PulumiInvocation.Parse([pulumi, .. arguments!]);
        var exitCode = await new PulumiRun(session).ExecuteAsync(invocation, folder, organization, deployment.Id, signals, null);
        var command = arguments![0];
        var (status, message) = exitCode == 0
            ? ("succeeded", $"pulumi {command} succeeded")
            : ("failed", $"pulumi {command} exited with code {exitCode}");
        messages.Info($"{name} {status}");
        await session.Reporter.SendAsync([SetStatus(deployment, status, message)], CancellationToken.None);
    }

    private PendingRequest SetStatus(Deployment deployment, string status, string? message) =>
        PendingRequest.SetDeploymentStatus(organization, deployment.ProjectName, deployment.StackName, deployment.Id, status, message);

    private static async Task WaitAsync(TimeSpan poll, CancellationToken stop)
    {
        try
        {
            await Task.Delay(poll, stop);
        }
        catch (OperationCanceledException)
        {
            // asked to stop
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
