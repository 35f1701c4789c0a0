using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackHooks.Cli.Tests.Support;

namespace StackHooks.Cli.Tests;

/// <summary>
/// <c>stackhooks run -- pulumi …</c> end to end: the built tool, over the fake pulumi, reporting to a real StackHooks server
/// whose organization webhook delivers to a real receiver.
/// </summary>
public class RunTests(ServerWithReceiver server) : IClassFixture<ServerWithReceiver>
{
    private static string NewStack() => "st-" + Guid.NewGuid().ToString("N")[..10];

    private Task<CliResult> RunAsync(FakePulumi pulumi, string scenario, params string[] arguments) =>
        StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment(scenario, server.Url, ServerWithReceiver.Token), arguments);

    private static JsonObject Changes(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public async Task AnUpRecordsUpdateSucceededWithTheEnginesResourceChangesAndTheServerNumbersTheUpdates()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();

        var first = await RunAsync(pulumi, "up-succeeded", "run", "--", "pulumi", "up", "--yes", "--skip-preview", "-s", stack);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("+ 2 created", first.StandardOutput, StringComparison.Ordinal); // pulumi's own output, passed through
        var created = await server.Receiver.WaitForEventAsync(stack, "stack_created");
        Assert.Equal("shop", created.Text("projectName"));
        var update = await server.Receiver.WaitForEventAsync(stack, "update_succeeded");
        Assert.True(JsonNode.DeepEquals(Changes("""{"create":2,"same":7}"""), update.Payload["resourceChanges"]), update.Payload.ToJsonString());
        Assert.EndsWith($"/{server.Org}/shop/{stack}/updates/1", update.Text("updateUrl"), StringComparison.Ordinal);
        Assert.Equal("update", update.Text("kind"));
        Assert.False(update.Payload["isPreview"]!.GetValue<bool>());

        // pulumi got its own arguments plus --event-log (a developer flag: PULUMI_DEBUG_COMMANDS set), nothing else.
        var call = Assert.Single(pulumi.Calls());
        Assert.Equal("true", call.DebugCommands);
        Assert.Equal("up", call.Arguments[0]);
        Assert.Equal("--event-log", call.Arguments[1]);
        Assert.Equal(["--yes", "--skip-preview", "-s", stack], call.Arguments.Skip(3));

        var second = await RunAsync(pulumi, "up-succeeded", "run", "--", "pulumi", "up", "--yes", "--skip-preview", "-s", stack);

        Assert.True(second.ExitCode == 0, second.ToString());
        var updates = await server.Receiver.WaitForAsync(stack, d => d.Event == "update_succeeded", count: 2);
        Assert.EndsWith("/updates/2", updates[1].Text("updateUrl"), StringComparison.Ordinal);
        Assert.Single(server.Receiver.For(stack), d => d.Event == "stack_created");
        Assert.Equal(2, (await server.GetStackAsync("shop", stack))!["version"]!.GetValue<long>());
        Assert.False(File.Exists(call.Arguments[2]), "the temporary event log is removed");
    }

    [Fact]
    public async Task AFailedUpdateIsRecordedWithTheChangesThatCompletedAndItsExitCodePassesThrough()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();

        var result = await RunAsync(pulumi, "up-failed", "run", "--", "pulumi", "up", "--yes", "--skip-preview", "--stack", stack);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("error: update failed", result.StandardError, StringComparison.Ordinal);
        var failed = await server.Receiver.WaitForEventAsync(stack, "update_failed");
        Assert.True(JsonNode.DeepEquals(Changes("""{"create":1,"same":7}"""), failed.Payload["resourceChanges"]), failed.Payload.ToJsonString());
        Assert.EndsWith("/updates/1", failed.Text("updateUrl"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyViolationsArriveAsMandatoryAndAdvisoryWithColourCodesRemoved()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();

        var result = await RunAsync(pulumi, "up-policy-violations", "run", "--", "pulumi", "--color", "always", "up", "--yes", "--skip-preview", "-s", stack);

        Assert.True(result.ExitCode == 1, result.ToString());
        var mandatory = await server.Receiver.WaitForEventAsync(stack, "policy_violation_mandatory");
        var advisory = await server.Receiver.WaitForEventAsync(stack, "policy_violation_advisory");
        await server.Receiver.WaitForEventAsync(stack, "update_failed");
        Assert.Equal("aws-baseline", mandatory.Text("policyPack"));
        Assert.Equal("s3-no-public-read", mandatory.Text("policyName"));
        Assert.Equal("mandatory", mandatory.Text("enforcementLevel"));
        Assert.Equal("urn:pulumi:dev::shop::aws:s3/bucketV2:BucketV2::assets", mandatory.Text("resourceUrn"));
        Assert.Equal("mandatory: S3 buckets must not be public-read\nSet acl to \"private\" & use a CloudFront origin access identity.", mandatory.Text("message"));
        Assert.Equal("require-cost-center-tag", advisory.Text("policyName"));
        Assert.Equal("advisory: Instances should carry a cost-center tag", advisory.Text("message"));
        Assert.Single(server.Receiver.For(stack), d => d.Event == "policy_violation_mandatory"); // reported twice by the engine, recorded once
        Assert.DoesNotContain(server.Receiver.For(stack), d => d.Text("message")?.Contains("{%", StringComparison.Ordinal) == true);
    }

    [Theory]
    [InlineData("preview-succeeded", "preview", "preview_succeeded", """{"create":2,"same":7}""", 0)]
    [InlineData("up-preview-failed", "up --yes", "preview_failed", """{"same":7}""", 1)]
    [InlineData("destroy-succeeded", "destroy --yes --skip-preview", "destroy_succeeded", """{"delete":9}""", 0)]
    [InlineData("refresh-succeeded", "refresh --yes", "refresh_succeeded", """{"same":8,"update":1}""", 0)]
    [InlineData("import-succeeded", "import aws:s3/bucketV2:BucketV2 legacy legacy-bucket --yes", "import_succeeded", """{"import":1,"same":9}""", 0)]
    [InlineData("up-old-cli", "up --yes", "update_succeeded", """{"update":1,"same":8}""", 0)]
    [InlineData("up-old-cli-failed", "up --yes", "update_failed", """{"same":8}""", 1)]
    [InlineData("up-before-engine", "up --yes", "update_failed", "{}", 1)]
    [InlineData("up-truncated", "up --yes", "update_succeeded", """{"create":2,"same":7}""", 0)]
    public async Task EachOperationIsRecordedAsItsOwnEventAndPulumisExitCodePassesThrough(
        string scenario, string command, string expectedEvent, string expectedChanges, int exitCode)
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();

        var result = await RunAsync(pulumi, scenario, ["run", "--", "pulumi", .. command.Split(' '), "-s", stack]);

        Assert.True(result.ExitCode == exitCode, result.ToString());
        var recorded = await server.Receiver.WaitForEventAsync(stack, expectedEvent);
        Assert.True(JsonNode.DeepEquals(Changes(expectedChanges), recorded.Payload["resourceChanges"]), recorded.Payload.ToJsonString());
        var url = recorded.Text("updateUrl")!;
        if (expectedEvent.StartsWith("preview_", StringComparison.Ordinal))
        {
            Assert.Contains($"/{stack}/previews/", url, StringComparison.Ordinal);
            Assert.True(recorded.Payload["isPreview"]!.GetValue<bool>());
        }
        else
        {
            Assert.EndsWith($"/{stack}/updates/1", url, StringComparison.Ordinal);
            Assert.Equal(expectedEvent[..expectedEvent.IndexOf('_', StringComparison.Ordinal)], recorded.Text("kind"));
        }
    }

    [Fact]
    public async Task ASuccessWithoutASummaryRecordsNothingAndSaysSo()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();

        var result = await RunAsync(pulumi, "up-no-summary", "run", "--", "pulumi", "up", "--yes", "-s", stack);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("no summary", result.StandardError, StringComparison.Ordinal);
        Assert.Null(await server.GetStackAsync("shop", stack)); // not even created: the tool has finished, and the server records before answering
    }

    [Theory]
    [InlineData(StackHooksCli.SIGINT)]
    [InlineData(StackHooksCli.SIGTERM)]
    public async Task ASignalIsPassedOnToPulumiWhichCancelsAndItsExitCodeComesBack(int signal)
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();
        using var tool = StackHooksCli.Start(pulumi.ProjectDirectory, pulumi.Environment("up-cancelled", server.Url, ServerWithReceiver.Token),
            "run", "--", "pulumi", "up", "--yes", "--skip-preview", "-s", stack);

        await pulumi.WaitUntilWaitingForSignalAsync(TimeSpan.FromSeconds(30));
        tool.Signal(signal);
        var result = await tool.WaitForExitAsync();

        Assert.True(result.ExitCode == 8, result.ToString()); // pulumi's "cancelled", not the tool killed by the signal
        Assert.Contains("^C received; cancelling", result.StandardOutput, StringComparison.Ordinal);
        var failed = await server.Receiver.WaitForEventAsync(stack, "update_failed");
        Assert.True(JsonNode.DeepEquals(Changes("""{"same":7}"""), failed.Payload["resourceChanges"]));
    }

    [Fact]
    public async Task StackInitAndStackRmRecordTheStackBeingCreatedAndRemoved()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();

        var init = await RunAsync(pulumi, "none", "run", "--", "pulumi", "stack", "init", stack);

        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains($"Created stack '{stack}'", init.StandardOutput, StringComparison.Ordinal);
        await server.Receiver.WaitForEventAsync(stack, "stack_created");
        Assert.NotNull(await server.GetStackAsync("shop", stack));

        // The selected stack, as `pulumi stack --show-name` tells it, both for an up without -s and a stack rm without a name.
        var up = await RunAsync(pulumi, "up-succeeded", "run", "--", "pulumi", "up", "--yes");
        Assert.True(up.ExitCode == 0, up.ToString());
        await server.Receiver.WaitForEventAsync(stack, "update_succeeded");

        var rm = await RunAsync(pulumi, "none", "run", "--", "pulumi", "stack", "rm", "--yes");

        Assert.True(rm.ExitCode == 0, rm.ToString());
        await server.Receiver.WaitForEventAsync(stack, "stack_deleted");
        Assert.Null(await server.GetStackAsync("shop", stack));
        Assert.DoesNotContain(pulumi.Calls(), c => c.Arguments.Contains("--event-log") && c.Arguments[0] == "stack");
    }

    [Fact]
    public async Task AFailedStackInitRecordsNothing()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();
        Assert.Equal(0, (await RunAsync(pulumi, "none", "run", "--", "pulumi", "stack", "init", stack)).ExitCode);

        var again = await RunAsync(pulumi, "none", "run", "--", "pulumi", "stack", "init", stack);

        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Single(await server.Receiver.WaitForAsync(stack, d => d.Event == "stack_created"));
        Assert.DoesNotContain("refused", again.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtherCommandsRunUnchangedAndRecordNothing()
    {
        using var pulumi = new FakePulumi();

        var result = await RunAsync(pulumi, "none", "run", "--", "pulumi", "config", "set", "aws:region", "eu-west-1");

        Assert.True(result.ExitCode == 0, result.ToString());
        var call = Assert.Single(pulumi.Calls());
        Assert.Equal(["config", "set", "aws:region", "eu-west-1"], call.Arguments);
        Assert.Equal("", call.DebugCommands);
        Assert.Equal("", result.StandardError);
    }

    [Fact]
    public async Task WithTheServerDownTheOutcomeIsSpooledAndTheNextRunDeliversItFirstAndExactlyOnce()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();
        var down = ClosedPort();

        var offline = await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("up-succeeded", down, ServerWithReceiver.Token),
            "run", "--report-timeout", "1s", "--", "pulumi", "up", "--yes", "-s", stack);

        Assert.True(offline.ExitCode == 0, offline.ToString());
        Assert.Contains("warning: could not reach StackHooks", offline.StandardError, StringComparison.Ordinal);
        Assert.Contains(pulumi.SpoolDirectory, offline.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, pulumi.SpoolFiles().Count); // the stack's creation and the update
        var copies = pulumi.SpoolFiles().Select(f => (f, File.ReadAllText(f))).ToList();

        var online = await RunAsync(pulumi, "up-old-cli", "run", "--", "pulumi", "up", "--yes", "-s", stack);

        Assert.True(online.ExitCode == 0, online.ToString());
        Assert.Contains("from the spool", online.StandardError, StringComparison.Ordinal);
        Assert.Empty(pulumi.SpoolFiles());
        var updates = await server.Receiver.WaitForAsync(stack, d => d.Event == "update_succeeded", count: 2);
        var spooled = Assert.Single(updates, u => u.Payload["resourceChanges"]!["create"] is not null);
        var fresh = Assert.Single(updates, u => u.Payload["resourceChanges"]!["update"] is not null);
        Assert.EndsWith("/updates/1", spooled.Text("updateUrl"), StringComparison.Ordinal); // the spool went first
        Assert.EndsWith("/updates/2", fresh.Text("updateUrl"), StringComparison.Ordinal);

        // Sending the same spooled requests again (as a second process might) records nothing new: same idempotency keys.
        foreach (var (file, text) in copies)
        {
            File.WriteAllText(file, text);
        }

        var flush = await RunAsync(pulumi, "none", "flush");

        Assert.True(flush.ExitCode == 0, flush.ToString());
        Assert.Empty(pulumi.SpoolFiles());
        Assert.Equal(2, (await server.GetStackAsync("shop", stack))!["version"]!.GetValue<long>());
        var third = await RunAsync(pulumi, "up-succeeded", "run", "--", "pulumi", "up", "--yes", "-s", stack);
        Assert.Equal(0, third.ExitCode);
        var all = await server.Receiver.WaitForAsync(stack, d => d.Event == "update_succeeded", count: 3);
        Assert.Equal(["/updates/1", "/updates/2", "/updates/3"], all.Select(u => u.Text("updateUrl")![u.Text("updateUrl")!.LastIndexOf("/updates/", StringComparison.Ordinal)..]).Order());
        Assert.Single(server.Receiver.For(stack), d => d.Event == "stack_created");
    }

    [Fact]
    public async Task FlushExitsOneWhileTheServerIsDownAndZeroOnceItHasEverything()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();
        var down = ClosedPort();
        await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("up-failed", down, ServerWithReceiver.Token, server.Org),
            "run", "--report-timeout", "500ms", "--", "pulumi", "up", "--yes", "-s", stack);
        Assert.Equal(2, pulumi.SpoolFiles().Count);

        var stillDown = await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("none", down, ServerWithReceiver.Token), "flush", "--report-timeout", "500ms");

        Assert.True(stillDown.ExitCode == 1, stillDown.ToString());
        Assert.Contains("2 remain", stillDown.StandardError, StringComparison.Ordinal);

        var up = await RunAsync(pulumi, "none", "flush");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("sent 2", up.StandardError, StringComparison.Ordinal);
        await server.Receiver.WaitForEventAsync(stack, "update_failed");
    }

    [Fact]
    public async Task ARefusedTokenIsAClearErrorNotSpooledAndPulumisExitCodeStillComesBack()
    {
        using var pulumi = new FakePulumi();
        var stack = NewStack();

        var result = await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("up-failed", server.Url, "pul-not-a-real-token"),
            "run", "--", "pulumi", "up", "--yes", "-s", stack);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Single(pulumi.Calls());
        Assert.Contains("error:", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("STACKHOOKS_TOKEN", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(pulumi.SpoolFiles());
    }

    [Fact]
    public async Task AnUnknownOrganizationIsAClearErrorNotSpooled()
    {
        using var pulumi = new FakePulumi();

        var result = await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("up-succeeded", server.Url, ServerWithReceiver.Token, "no-such-org"),
            "run", "--", "pulumi", "up", "--yes", "-s", NewStack());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("error: the server refused", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("404", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(pulumi.SpoolFiles());
    }

    [Fact]
    public async Task AFullyQualifiedStackNamesTheOrganizationAndTheProject()
    {
        using var pulumi = new FakePulumi("elsewhere");
        var stack = NewStack();

        var result = await RunAsync(pulumi, "up-succeeded", "run", "--", "pulumi", "up", "--yes", "-s", $"{server.Org}/billing/{stack}");

        Assert.True(result.ExitCode == 0, result.ToString());
        var update = await server.Receiver.WaitForEventAsync(stack, "update_succeeded");
        Assert.Equal("billing", update.Text("projectName"));
    }

    [Fact]
    public async Task WithoutATokenTheToolStopsBeforeRunningPulumi()
    {
        using var pulumi = new FakePulumi();
        var environment = pulumi.Environment("up-succeeded", server.Url, "");
        environment.Remove("STACKHOOKS_TOKEN");

        var result = await StackHooksCli.RunAsync(pulumi.ProjectDirectory, environment, "run", "--", "pulumi", "up", "--yes");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("STACKHOOKS_TOKEN", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(pulumi.Calls());
    }

    /// <summary>A loopback URL where nothing listens: a server that is down.</summary>
    private static Uri ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}
