using System.Net;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>The app as it runs by default in production: private networks refused, and no automatic retry to keep tests short.</summary>
public sealed class GuardedApp : StackHooksApp
{
    public GuardedApp()
    {
        With("StackHooks:Delivery:AllowPrivateNetworks", "false");
        With("StackHooks:Delivery:RetrySchedule", "");
    }
}

/// <summary>
/// SPEC §5 destination guard, end to end: with private networks not allowed, a hook pointing at a real receiver on loopback
/// gets nothing — however its address is written. All traffic here goes to loopback only.
/// </summary>
public sealed class DestinationGuardEndToEndTests(GuardedApp app) : IClassFixture<GuardedApp>
{
    public static TheoryData<string> LoopbackHosts => new()
    {
        "127.0.0.1",
        "localhost",
        "0.0.0.0",
        "[::ffff:127.0.0.1]",
        "127.1",
        "0x7f.0.0.1",
        "2130706433",
    };

    [Theory]
    [MemberData(nameof(LoopbackHosts))]
    public async Task APingToALoopbackReceiverIsBlockedAndNeverSent(string host)
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        var url = $"http://{host}:{receiver.BaseAddress.Port}/guarded";
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), url);

        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);

        AssertBlocked(ping);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task AnEventDeliveryToALoopbackReceiverIsBlockedAndNeverSent()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/guarded"));

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        var id = await client.SingleDeliveryIdAsync(hook);
        var delivery = await client.WaitForDeliveryAsync(hook, id, d => d.AsInt("attempts") >= 1);

        AssertBlocked(delivery);
        Assert.Equal("failed", delivery.AsText("status"));
        var redelivered = await (await client.PostAsync($"{hook}/deliveries/{id}/redeliver", null)).AssertJsonAsync(HttpStatusCode.OK);
        AssertBlocked(redelivered);
        Assert.Empty(receiver.Requests);
    }

    private static void AssertBlocked(System.Text.Json.Nodes.JsonObject delivery)
    {
        Assert.Equal("failed", delivery.AsText("status"));
        Assert.Equal(0, delivery.AsInt("responseCode"));
        Assert.StartsWith("blocked destination", delivery.AsText("error"), StringComparison.Ordinal);
    }
}
