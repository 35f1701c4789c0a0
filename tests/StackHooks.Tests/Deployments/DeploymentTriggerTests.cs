using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using StackHooks.Tests.Delivery;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Deployments;

/// <summary>
/// Webhooks that do more than raw JSON: pulumi_deployments hooks queue deployments that runners move through their
/// lifecycle (each step an event), chains do not loop; slack and ms_teams deliveries are signed like raw ones.
/// </summary>
public sealed class DeploymentTriggerTests(DeploymentTriggerTests.App app) : IClassFixture<DeploymentTriggerTests.App>, IAsyncLifetime
{
    private Receiver receiver = null!;

    public sealed class App : StackHooksApp
    {
        public App() => With("StackHooks:Webhooks:SlackUrlPrefix", ""); // lets slack hooks point at a loopback receiver
    }

    public async ValueTask InitializeAsync() => receiver = await Receiver.StartAsync();

    public async ValueTask DisposeAsync() => await receiver.DisposeAsync();

    [Fact]
    public async Task AMatchingEventQueuesADeploymentThatARunnerMovesThroughItsLifecycle()
    {
        var (org, admin) = await SetUpAsync();
        var trigger = await CreateDeploymentHookAsync(admin, org, "a", "p/b", "update_succeeded");

        await admin.PostEventAsync(StackEvents(org, "p", "a"), Event("update_succeeded"));

        var delivery = (await admin.WaitForDeliveriesAsync(trigger, list => list.Count == 1 && list[0]!.AsText("status") == "succeeded"))[0]!;
        Assert.Equal(202, delivery.AsInt("responseCode"));
        var queued = JsonNode.Parse(delivery.AsText("responseBody"))!;
        Assert.Equal("b", queued.AsText("stackName"));
        Assert.Equal("queued", queued.AsText("status"));
        Assert.Equal("update", queued.AsText("operation"));
        Assert.Equal(1, queued.AsInt("version"));
        Assert.Empty(queued["causedBy"]!.AsArray());
        var deploymentId = queued.AsText("id");

        var listed = await admin.GetFromJsonAsync<JsonArray>($"/api/stacks/{org}/p/b/deployments");
        Assert.Equal(deploymentId, listed![0]!.AsText("id"));
        await WaitForEventAsync(org, "b", "queued");

        var claim = await admin.PostAsync($"/api/orgs/{org}/deployments/claim", null);
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        Assert.Equal(deploymentId, (await claim.Content.ReadFromJsonAsync<JsonObject>())!.AsText("id"));
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/orgs/{org}/deployments/claim", null)).StatusCode);

        var deployment = $"/api/stacks/{org}/p/b/deployments/{deploymentId}";
        await (await admin.PatchAsync(deployment, Json("""{"status": "succeeded"}"""))).AssertErrorAsync(HttpStatusCode.Conflict);
        var running = await (await admin.PatchAsync(deployment, Json("""{"status": "running"}"""))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("running", running.AsText("status"));
        await WaitForEventAsync(org, "b", "running");
        await (await admin.PatchAsync(deployment, Json("""{"status": "succeeded", "message": "done"}"""))).AssertJsonAsync(HttpStatusCode.OK);
        await WaitForEventAsync(org, "b", "succeeded");
        await (await admin.PatchAsync(deployment, Json("""{"status": "paused"}"""))).AssertErrorAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AChainFromAToBBackToAStopsWithASkippedDelivery()
    {
        var (org, admin) = await SetUpAsync();
        var aToB = await CreateDeploymentHookAsync(admin, org, "a", "p/b", "update_succeeded");
        var bToA = await CreateDeploymentHookAsync(admin, org, "b", "p/a", "deployment_succeeded");

        await admin.PostEventAsync(StackEvents(org, "p", "a"), Event("update_succeeded"));
        var first = (await admin.WaitForDeliveriesAsync(aToB, list => list.Count == 1 && list[0]!.AsText("status") == "succeeded"))[0]!;
        var deploymentId = JsonNode.Parse(first.AsText("responseBody"))!.AsText("id");
        var deployment = $"/api/stacks/{org}/p/b/deployments/{deploymentId}";
        (await admin.PatchAsync(deployment, Json("""{"status": "running"}"""))).EnsureSuccessStatusCode();
        (await admin.PatchAsync(deployment, Json("""{"status": "succeeded"}"""))).EnsureSuccessStatusCode();

        var back = (await admin.WaitForDeliveriesAsync(bToA, list => list.Count == 1 && list[0]!.AsText("status") != "pending"))[0]!;
        Assert.Equal("skipped", back.AsText("status"));
        Assert.Contains("causal chain", back.AsText("error"), StringComparison.Ordinal);
        Assert.Contains("p/a → p/b → p/a", back.AsText("error"), StringComparison.Ordinal);
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>($"/api/stacks/{org}/p/a/deployments"))!);
    }

    [Fact]
    public async Task OnlyOrganizationAdminsClaimAndMoveDeployments()
    {
        var (org, admin) = await SetUpAsync();
        using var member = await app.CreateUserAsync(org, "member");
        await (await member.PostAsync($"/api/orgs/{org}/deployments/claim", null)).AssertErrorAsync(HttpStatusCode.Forbidden);
        await (await member.PatchAsync($"/api/stacks/{org}/p/b/deployments/x", Json("""{"status": "running"}"""))).AssertErrorAsync(HttpStatusCode.Forbidden);
        await (await member.GetAsync($"/api/stacks/{org}/p/b/deployments")).AssertJsonArrayAsync(HttpStatusCode.OK);
        using var stranger = await app.CreateUserAsync();
        await (await stranger.PostAsync($"/api/orgs/{org}/deployments/claim", null)).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await admin.PatchAsync($"/api/stacks/{org}/p/b/deployments/nope", Json("""{"status": "running"}"""))).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("slack")]
    [InlineData("ms_teams")]
    public async Task ChatDeliveriesCarryThePulumiHeadersAndASignature(string format)
    {
        var (org, admin) = await SetUpAsync();
        var path = "/" + format;
        (await admin.PostAsJsonAsync($"/api/stacks/{org}/p/a/hooks", new
        {
            organizationName = org,
            displayName = format,
            payloadUrl = receiver.Url(path),
            active = true,
            format,
            secret = "chat-secret",
        })).EnsureSuccessStatusCode();

        await admin.PostEventAsync(StackEvents(org, "p", "a"), Event("update_failed", new { resourceChanges = new { create = 1 } }));
        var request = await receiver.WaitForAsync(r => r.Path == path, Patience);

        Assert.Equal("stack_update", request.WebhookKind);
        Assert.True(Guid.TryParse(request.WebhookId, out _));
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("chat-secret"), request.Body));
        Assert.Equal(expected, request.Header("Pulumi-Webhook-Signature"));
        var body = request.Json;
        if (format == "slack")
        {
            Assert.Contains("update failed", body.AsText("text"), StringComparison.OrdinalIgnoreCase);
            Assert.NotEmpty(body["blocks"]!.AsArray());
        }
        else
        {
            Assert.Equal("message", body.AsText("type"));
            Assert.Equal("application/vnd.microsoft.card.adaptive", body["attachments"]![0]!.AsText("contentType"));
        }
    }

    private async Task<(string Org, HttpClient Admin)> SetUpAsync()
    {
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "p", "a");
        await app.CreateStackAsync(org, "p", "b");
        var admin = app.Admin();
        await admin.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url($"/{org}/events"), filters: ["deployment_queued", "deployment_started", "deployment_succeeded"]);
        return (org, admin);
    }

    /// <summary>Waits for the organization hook to receive the deployment event of <paramref name="stack"/> with <paramref name="status"/>.</summary>
    private async Task WaitForEventAsync(string org, string stack, string status)
    {
        var request = await receiver.WaitForAsync(
            r => r.Path == $"/{org}/events" && r.Json["stackName"]?.GetValue<string>() == stack && r.Json["status"]?.GetValue<string>() == status,
            Patience);
        Assert.Equal("deployment", request.WebhookKind);
        Assert.Equal("update", request.Json.AsText("operation"));
        Assert.EndsWith($"/{org}/p/{stack}/deployments/1", request.Json.AsText("deploymentUrl"), StringComparison.Ordinal);
    }

    private static async Task<string> CreateDeploymentHookAsync(HttpClient admin, string org, string stack, string target, string filter)
    {
        var created = await (await admin.PostAsJsonAsync($"/api/stacks/{org}/p/{stack}/hooks", new
        {
            organizationName = org,
            displayName = $"deploy {target}",
            payloadUrl = target,
            active = true,
            format = "pulumi_deployments",
            filters = new[] { filter },
        })).AssertJsonAsync(HttpStatusCode.Created);
        return $"/api/stacks/{org}/p/{stack}/hooks/{created.AsText("name")}";
    }
}
