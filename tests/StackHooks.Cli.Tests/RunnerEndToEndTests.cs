using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackHooks.Cli.Tests.Support;
using StackHooks.Tests.Support;

namespace StackHooks.Cli.Tests;

/// <summary>
/// Deployment triggers that actually deploy, end to end: a real <c>pulumi up</c> (the fake) run through <c>stackhooks run</c>
/// fires a <c>pulumi_deployments</c> webhook, the server queues a deployment, and <c>stackhooks runner</c> claims it and runs
/// pulumi in the project's folder, with every step arriving at a real receiver.
/// </summary>
public class RunnerEndToEndTests(ServerWithReceiver server) : IClassFixture<ServerWithReceiver>
{
    [Fact]
    public async Task AnUpdateOfOneStackDeploysTheNextAndTheLoopGuardStopsTheChainComingBack()
    {
        using var pulumi = new FakePulumi();
        var upstream = "up-" + Guid.NewGuid().ToString("N")[..8];
        var target = "tg-" + Guid.NewGuid().ToString("N")[..8];
        await server.App.CreateStackAsync(server.Org, "shop", upstream);
        await server.App.CreateStackAsync(server.Org, "shop", target);
        await AddDeploymentHookAsync(upstream, $"shop/{target}");
        var back = await AddDeploymentHookAsync(target, $"shop/{upstream}"); // a cycle: target's success would deploy upstream again

        var run = await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("up-succeeded", server.Url, ServerWithReceiver.Token),
            "run", "--", "pulumi", "up", "--yes", "--skip-preview", "-s", upstream);
        Assert.True(run.ExitCode == 0, run.ToString());
        var queued = await server.Receiver.WaitForEventAsync(target, "deployment_queued");

        var runner = await StackHooksCli.RunAsync(pulumi.Root, pulumi.Environment("up-succeeded", server.Url, ServerWithReceiver.Token),
            "runner", "--org", server.Org, "--projects", pulumi.Root, "--once");

        Assert.True(runner.ExitCode == 0, runner.ToString());
        var call = pulumi.Calls()[^1];
        Assert.Equal(pulumi.ProjectDirectory, call.WorkingDirectory);
        Assert.Equal(["--yes", "--skip-preview", "--non-interactive", "--stack", target], call.Arguments.Skip(3));
        await server.Receiver.WaitForEventAsync(target, "deployment_started");
        var update = await server.Receiver.WaitForEventAsync(target, "update_succeeded");
        Assert.EndsWith($"/shop/{target}/updates/1", update.Text("updateUrl"), StringComparison.Ordinal);
        var succeeded = await server.Receiver.WaitForEventAsync(target, "deployment_succeeded");
        Assert.Equal(queued.Payload["version"]!.GetValue<long>(), succeeded.Payload["version"]!.GetValue<long>());
        using var admin = server.App.Admin();
        var deployments = await (await admin.GetAsync($"/api/stacks/{server.Org}/shop/{target}/deployments")).AssertJsonArrayAsync(HttpStatusCode.OK);
        var deployment = Assert.Single(deployments)!.AsObject();
        Assert.Equal("succeeded", deployment["status"]!.GetValue<string>());
        Assert.Equal("pulumi up succeeded", deployment["message"]!.GetValue<string>());

        // The target's update carried the deployment's id, so its own hook back to upstream sees upstream in the chain and stops.
        var delivery = await WaitForSettledDeliveryAsync(target, back);
        Assert.Contains("causal chain", delivery["error"]!.GetValue<string>(), StringComparison.Ordinal);
        var again = await StackHooksCli.RunAsync(pulumi.Root, pulumi.Environment("up-succeeded", server.Url, ServerWithReceiver.Token),
            "runner", "--org", server.Org, "--projects", pulumi.Root, "--once");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(2, pulumi.Calls().Count); // the first run and the one deployment
        Assert.Empty(await (await admin.GetAsync($"/api/stacks/{server.Org}/shop/{upstream}/deployments")).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    private async Task<string> AddDeploymentHookAsync(string stack, string payloadUrl)
    {
        using var admin = server.App.Admin();
        var created = await (await admin.PostAsJsonAsync($"/api/stacks/{server.Org}/shop/{stack}/hooks", new
        {
            organizationName = server.Org,
            projectName = "shop",
            stackName = stack,
            displayName = $"deploy {payloadUrl}",
            payloadUrl,
            active = true,
            format = "pulumi_deployments",
            filters = new[] { "update_succeeded" },
        })).AssertJsonAsync(HttpStatusCode.Created);
        return created["name"]!.GetValue<string>();
    }

    /// <summary>Polls (with a deadline) the hook's deliveries until one is no longer pending.</summary>
    private async Task<JsonObject> WaitForSettledDeliveryAsync(string stack, string hook)
    {
        using var admin = server.App.Admin();
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var deliveries = await (await admin.GetAsync($"/api/stacks/{server.Org}/shop/{stack}/hooks/{hook}/deliveries")).AssertJsonArrayAsync(HttpStatusCode.OK);
            if (deliveries.OfType<JsonObject>().FirstOrDefault(d => d["status"]?.GetValue<string>() != "pending") is { } settled)
            {
                return settled;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"no settled delivery for hook {hook}: {deliveries.ToJsonString()}");
            await Task.Delay(50);
        }
    }
}
