using StackHooks.Cli.Tests.Support;

namespace StackHooks.Cli.Tests;

/// <summary>
/// <c>stackhooks runner</c> against a stub of the runner endpoints of SPEC §6.4: claims, runs pulumi in the project's folder
/// with the same reporting as <c>run</c> (events carry the deployment's id), and sets the deployment's status.
/// </summary>
public sealed class RunnerTests : IAsyncLifetime
{
    private const string Org = "acme";
    private DeploymentsStub stub = null!;

    public async ValueTask InitializeAsync() => stub = await DeploymentsStub.StartAsync();

    public async ValueTask DisposeAsync() => await stub.DisposeAsync();

    private static Dictionary<string, string> Environment(FakePulumi pulumi, string scenario, Uri url) => pulumi.Environment(scenario, url, DeploymentsStub.Token);

    [Fact]
    public async Task OnceRunsWhatIsQueuedInTheProjectsFolderSetsItsStatusAndExitsZero()
    {
        using var pulumi = new FakePulumi();
        var id = stub.Queue("shop", "dev");

        var result = await StackHooksCli.RunAsync(pulumi.Root, Environment(pulumi, "up-succeeded", stub.Url),
            "runner", "--org", Org, "--projects", pulumi.Root, "--once");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([("running", null), ("succeeded", "pulumi up succeeded")], stub.StatusesOf(id));
        var call = Assert.Single(pulumi.Calls());
        Assert.Equal(pulumi.ProjectDirectory, call.WorkingDirectory);
        Assert.Equal("true", call.DebugCommands);
        Assert.Equal("up", call.Arguments[0]);
        Assert.Equal("--event-log", call.Arguments[1]);
        Assert.Equal(["--yes", "--skip-preview", "--non-interactive", "--stack", "dev"], call.Arguments.Skip(3));
        var recorded = Assert.Single(stub.Requests, r => r.Path == $"/api/stacks/{Org}/shop/dev/events");
        Assert.Equal("update_succeeded", recorded.Body!["event"]!.GetValue<string>());
        Assert.Equal(id, recorded.Body["deploymentId"]!.GetValue<string>());
        Assert.NotNull(recorded.IdempotencyKey);
        Assert.Equal("POST", stub.Requests[^1].Method); // the last claim, answered 204
        Assert.EndsWith("/deployments/claim", stub.Requests[^1].Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailingRunFailsTheDeploymentWithTheExitCode()
    {
        using var pulumi = new FakePulumi();
        var id = stub.Queue("shop", "dev");

        var result = await StackHooksCli.RunAsync(pulumi.Root, Environment(pulumi, "up-failed", stub.Url),
            "runner", "--org", Org, "--projects", pulumi.Root, "--once");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([("running", null), ("failed", "pulumi up exited with code 1")], stub.StatusesOf(id));
        var recorded = Assert.Single(stub.Requests, r => r.Path.EndsWith("/events", StringComparison.Ordinal));
        Assert.Equal("update_failed", recorded.Body!["event"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("preview", "preview", "--non-interactive --stack dev")]
    [InlineData("destroy", "destroy", "--yes --skip-preview --non-interactive --stack dev")]
    [InlineData("refresh", "refresh", "--yes --skip-preview --non-interactive --stack dev")]
    public async Task EachOperationRunsItsCommandWithoutPrompts(string operation, string command, string flags)
    {
        using var pulumi = new FakePulumi();
        stub.Queue("shop", "dev", operation);

        var result = await StackHooksCli.RunAsync(pulumi.Root, Environment(pulumi, $"{command}-succeeded", stub.Url),
            "runner", "--org", Org, "--projects", pulumi.Root, "--once");

        Assert.True(result.ExitCode == 0, result.ToString());
        var call = Assert.Single(pulumi.Calls());
        Assert.Equal(command, call.Arguments[0]);
        Assert.Equal(flags.Split(' '), call.Arguments.Skip(3));
    }

    [Fact]
    public async Task ADeploymentWithNoProjectFolderFailsWithTheReasonAndTheNextIsRun()
    {
        using var pulumi = new FakePulumi();
        var missing = stub.Queue("billing", "prod");
        var next = stub.Queue("shop", "dev");

        var result = await StackHooksCli.RunAsync(pulumi.Root, Environment(pulumi, "up-succeeded", stub.Url),
            "runner", "--org", Org, "--projects", pulumi.Root, "--once");

        Assert.True(result.ExitCode == 0, result.ToString());
        var (status, message) = Assert.Single(stub.StatusesOf(missing));
        Assert.Equal("failed", status);
        Assert.Contains("no folder", message, StringComparison.Ordinal);
        Assert.Contains("'billing'", message, StringComparison.Ordinal);
        Assert.Equal("succeeded", stub.StatusesOf(next)[^1].Status);
    }

    [Fact]
    public async Task SigtermLetsTheDeploymentInProgressFinishThenTheRunnerExits()
    {
        using var pulumi = new FakePulumi();
        var id = stub.Queue("shop", "dev");
        using var runner = StackHooksCli.Start(pulumi.Root, Environment(pulumi, "up-slow", stub.Url),
            "runner", "--org", Org, "--projects", pulumi.Root, "--poll", "200ms");

        await pulumi.WaitUntilWaitingForSignalAsync(TimeSpan.FromSeconds(30));
        runner.Signal(StackHooksCli.SIGTERM);
        await runner.WaitForErrorOutputAsync("stopping after the deployment in progress", TimeSpan.FromSeconds(30));
        File.WriteAllText(Path.Combine(pulumi.StateDirectory, "release"), "");
        var result = await runner.WaitForExitAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(File.Exists(Path.Combine(pulumi.StateDirectory, "signalled")), "pulumi was left to finish");
        Assert.Equal([("running", null), ("succeeded", "pulumi up succeeded")], stub.StatusesOf(id));
        Assert.Single(stub.Requests, r => r.Path.EndsWith("/deployments/claim", StringComparison.Ordinal)); // no claim after the signal
    }

    [Fact]
    public async Task AnIdleRunnerStopsAtOnceOnSigterm()
    {
        using var pulumi = new FakePulumi();
        using var runner = StackHooksCli.Start(pulumi.Root, Environment(pulumi, "up-succeeded", stub.Url),
            "runner", "--org", Org, "--projects", pulumi.Root, "--poll", "1h");
        await runner.WaitForErrorOutputAsync("runner for acme", TimeSpan.FromSeconds(30));

        runner.Signal(StackHooksCli.SIGTERM);
        var result = await runner.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task ATokenThatMayNotClaimIsAnError()
    {
        using var pulumi = new FakePulumi();

        var result = await StackHooksCli.RunAsync(pulumi.Root, pulumi.Environment("up-succeeded", stub.Url, "pul-wrong"),
            "runner", "--org", Org, "--projects", pulumi.Root, "--once");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("could not claim", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(pulumi.Calls());
    }

    [Fact]
    public async Task TheRunnerSendsTheSpoolFirst()
    {
        using var pulumi = new FakePulumi();
        var down = new Uri("http://127.0.0.1:9"); // discard port: nothing listens
        await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("up-succeeded", down, DeploymentsStub.Token, Org),
            "run", "--report-timeout", "500ms", "--", "pulumi", "up", "--yes", "-s", "dev");
        Assert.Equal(2, pulumi.SpoolFiles().Count);

        var result = await StackHooksCli.RunAsync(pulumi.Root, Environment(pulumi, "up-succeeded", stub.Url),
            "runner", "--org", Org, "--projects", pulumi.Root, "--once");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(pulumi.SpoolFiles());
        Assert.Equal("/api/stacks/acme/shop", stub.Requests[0].Path);
        Assert.Equal("/api/stacks/acme/shop/dev/events", stub.Requests[1].Path);
    }
}
