using System.Net;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>The app with a 0.5 s attempt timeout and no automatic retry (an empty schedule).</summary>
public sealed class ShortTimeoutApp : StackHooksApp
{
    public ShortTimeoutApp()
    {
        With("StackHooks:Delivery:Timeout", "00:00:00.5");
        With("StackHooks:Delivery:RetrySchedule", "");
    }
}

/// <summary>SPEC §5: an attempt that outlives the timeout fails, redirects are never followed, at most 64 KiB of a response are kept.</summary>
public sealed class SendingLimitsTests(ShortTimeoutApp app) : IClassFixture<ShortTimeoutApp>
{
    [Fact]
    public async Task AReceiverThatDoesNotAnswerWithinTheTimeoutFailsTheAttemptWithATimeoutError()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/hang", ReceiverResponse.HangUntilCancelled);
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/hang"));

        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        AssertTimedOut(ping);
        Assert.InRange(ping.AsLong("duration"), 400, 10_000);

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        var delivered = await client.WaitForDeliveriesAsync(hook, list => list.Count == 2 && list[0]!.AsText("status") != "pending");
        var delivery = delivered[0]!.AsObject();
        Assert.Equal("update_succeeded", delivery.AsText("event"));
        AssertTimedOut(delivery);
        // The receiver did get both requests: the attempts were cut short waiting for its answer.
        Assert.Equal(2, receiver.On("/hang").Count);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task ARedirectIsNotFollowedAndFailsThePing(int status)
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/moved", ReceiverResponse.WithHeader(status, "Location", receiver.Url("/elsewhere")));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/moved"));

        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);

        AssertRedirectRefused(ping, status);
        Assert.Single(receiver.On("/moved"));
        Assert.Empty(receiver.On("/elsewhere"));
    }

    [Fact]
    public async Task ARedirectIsNotFollowedByTheDispatcherEither()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/moved", ReceiverResponse.WithHeader(302, "Location", "/elsewhere"));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/moved"));

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        var id = await client.SingleDeliveryIdAsync(hook);
        var delivery = await client.WaitForDeliveryAsync(hook, id, d => d.AsText("status") != "pending");

        AssertRedirectRefused(delivery, 302);
        Assert.Equal("/elsewhere", ParseHeaderLines(delivery.AsText("responseHeaders"))["Location"]);
        Assert.Single(receiver.On("/moved"));
        Assert.Empty(receiver.On("/elsewhere"));
    }

    [Fact]
    public async Task AReceiverThatRefusesTheConnectionFailsTheAttemptWithoutAResponseCode()
    {
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), $"http://127.0.0.1:{ClosedPort()}/nobody-home");

        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);

        Assert.Equal("failed", ping.AsText("status"));
        Assert.Equal(0, ping.AsInt("responseCode"));
        Assert.Contains("refused", ping.AsText("error"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OnlyTheFirst64KiBOfAResponseBodyAreRecorded()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/chatty", ReceiverResponse.Code(200, new string('x', 200_000)));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/chatty"));

        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);

        Assert.Equal("succeeded", ping.AsText("status"));
        Assert.Equal(64 * 1024, ping.AsText("responseBody").Length);
        Assert.Equal(64 * 1024, (await client.GetDeliveryAsync(hook, ping.AsText("id")))["attemptHistory"]![0]!.AsText("responseBody").Length);
    }

    /// <summary>A loopback port nothing listens on: bound, read, and released again.</summary>
    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void AssertTimedOut(System.Text.Json.Nodes.JsonObject delivery)
    {
        Assert.Equal("failed", delivery.AsText("status"));
        Assert.Equal(0, delivery.AsInt("responseCode"));
        Assert.Equal(1, delivery.AsInt("attempts"));
        Assert.Contains("timeout", delivery.AsText("error"), StringComparison.OrdinalIgnoreCase);
        Assert.Null(delivery["nextAttemptAt"]);
    }

    private static void AssertRedirectRefused(System.Text.Json.Nodes.JsonObject delivery, int status)
    {
        Assert.Equal("failed", delivery.AsText("status"));
        Assert.Equal(status, delivery.AsInt("responseCode"));
        Assert.Contains("redirect", delivery.AsText("error"), StringComparison.OrdinalIgnoreCase);
        Assert.Null(delivery["nextAttemptAt"]);
    }
}
