using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackHooks.Delivery;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>
/// The retry schedule, Retry-After and retention on a <see cref="FakeTimeApp"/>: time moves only when the test moves it, so
/// <c>nextAttemptAt</c> can be checked exactly and a 30 s wait takes no time. Each test has its own app (its own clock).
/// </summary>
public sealed class RetryTimingTests
{
    [Fact]
    public async Task FailedAttemptsAreRetriedOnTheConfiguredScheduleThenTheDeliveryFails()
    {
        await using var app = new FakeTimeApp();
        app.With("StackHooks:Delivery:RetrySchedule:0", "00:00:05").With("StackHooks:Delivery:RetrySchedule:1", "00:00:30");
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/fail", ReceiverResponse.Code(500, "broken"));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/fail"));

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_failed"));
        var id = await client.SingleDeliveryIdAsync(hook);

        var first = await client.WaitForDeliveryAsync(hook, id, d => d.AsInt("attempts") == 1);
        Assert.Equal("pending", first.AsText("status"));
        // The attempt was timed by the app's clock, which is the fake one.
        Assert.Equal(FakeTimeApp.Start.ToUnixTimeSeconds(), first.AsLong("timestamp"));
        var wait = NextAttemptAt(first) - app.Time.GetUtcNow();
        Assert.InRange(wait, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6));
        Assert.Single(receiver.On("/fail"));

        app.Advance(wait);
        await receiver.WaitForCountAsync(2, Patience);
        var second = await client.WaitForDeliveryAsync(hook, id, d => d.AsInt("attempts") == 2);
        Assert.Equal("pending", second.AsText("status"));
        Assert.Equal(app.Time.GetUtcNow().ToUnixTimeSeconds(), second.AsLong("timestamp"));
        wait = NextAttemptAt(second) - app.Time.GetUtcNow();
        Assert.InRange(wait, TimeSpan.FromSeconds(24), TimeSpan.FromSeconds(36));

        app.Advance(wait);
        await receiver.WaitForCountAsync(3, Patience);
        var last = await client.WaitForDeliveryAsync(hook, id, d => d.AsInt("attempts") == 3);
        Assert.Equal("failed", last.AsText("status"));
        Assert.Null(last["nextAttemptAt"]);
        Assert.Equal(500, last.AsInt("responseCode"));
        Assert.Equal("broken", last.AsText("responseBody"));
        var history = last["attemptHistory"]!.AsArray();
        Assert.Equal([1, 2, 3], history.Select(a => a!.AsInt("attempt")));
        Assert.All(history, a => Assert.Equal(500, a!.AsInt("responseCode")));
        Assert.Equal(
            [first.AsLong("timestamp"), second.AsLong("timestamp"), app.Time.GetUtcNow().ToUnixTimeSeconds()],
            history.Select(a => a!.AsLong("timestamp")));
        var requests = receiver.On("/fail");
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(id, r.WebhookId));
    }

    [Fact]
    public async Task RetryAfterOn429And503SetsTheNextAttemptUpToTheStepsCapAndIsIgnoredOnOtherCodes()
    {
        await using var app = new FakeTimeApp();
        app.With("StackHooks:Delivery:RetrySchedule:0", "00:00:05").With("StackHooks:Delivery:RetrySchedule:1", "00:00:30");
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/busy", ReceiverResponse.WithHeader(429, "Retry-After", "2"));
        receiver.Respond("/unavailable", ReceiverResponse.WithHeader(503, "Retry-After", "3600"));
        receiver.Respond("/until", ReceiverResponse.WithHeader(503, "Retry-After", (FakeTimeApp.Start + TimeSpan.FromSeconds(3)).ToString("R", CultureInfo.InvariantCulture)));
        receiver.Respond("/error", ReceiverResponse.WithHeader(500, "Retry-After", "1"));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var place = HookPlace.OfStack(org, "proj", "dev");
        var busy = await client.CreateHookAsync(place, receiver.Url("/busy"));
        var unavailable = await client.CreateHookAsync(place, receiver.Url("/unavailable"));
        var until = await client.CreateHookAsync(place, receiver.Url("/until"));
        var error = await client.CreateHookAsync(place, receiver.Url("/error"));

        Assert.Equal(4, (await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("refresh_failed"))).AsInt("deliveries"));

        async Task<TimeSpan> WaitAfterFirstAttemptAsync(string hook)
        {
            var delivery = await client.WaitForDeliveryAsync(hook, await client.SingleDeliveryIdAsync(hook), d => d.AsInt("attempts") == 1);
            Assert.Equal("pending", delivery.AsText("status"));
            return NextAttemptAt(delivery) - app.Time.GetUtcNow();
        }

        Assert.Equal(TimeSpan.FromSeconds(2), await WaitAfterFirstAttemptAsync(busy));
        // Retry-After may push a retry back only up to the step's cap: the nominal delay plus the 20 % jitter (RetrySchedule).
        Assert.Equal(TimeSpan.FromSeconds(6), await WaitAfterFirstAttemptAsync(unavailable));
        Assert.Equal(TimeSpan.FromSeconds(3), await WaitAfterFirstAttemptAsync(until));
        Assert.InRange(await WaitAfterFirstAttemptAsync(error), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6));

        // The dispatcher goes by it: two seconds on, the 429 receiver is tried again and nobody else is.
        app.Advance(TimeSpan.FromSeconds(2));
        await receiver.WaitForCountAsync(2, Patience, r => r.Path == "/busy");
        var busyId = await client.SingleDeliveryIdAsync(busy);
        var second = await client.WaitForDeliveryAsync(busy, busyId, d => d.AsInt("attempts") == 2);
        Assert.Equal(TimeSpan.FromSeconds(2), NextAttemptAt(second) - app.Time.GetUtcNow());
        Assert.Single(receiver.On("/unavailable"));
        Assert.Single(receiver.On("/until"));
        Assert.Single(receiver.On("/error"));
    }

    [Fact]
    public async Task PruningRemovesFinishedDeliveriesOlderThanTheRetentionButNeverPendingOnes()
    {
        await using var app = new FakeTimeApp();
        app.With("StackHooks:Delivery:Retention", "00:00:01").With("StackHooks:Delivery:RetrySchedule:0", "00:00:05");
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/fail", ReceiverResponse.Code(500));
        receiver.Respond("/dead", ReceiverResponse.Code(500));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var place = HookPlace.OfStack(org, "proj", "dev");
        var ok = await client.CreateHookAsync(place, receiver.Url("/ok"));
        var failing = await client.CreateHookAsync(place, receiver.Url("/fail"));
        var dead = await client.CreateHookAsync(place, receiver.Url("/dead"));

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        var okId = await client.SingleDeliveryIdAsync(ok);
        await client.WaitForDeliveryAsync(ok, okId, d => d.AsText("status") == "succeeded");
        var pendingId = await client.SingleDeliveryIdAsync(failing);
        await client.WaitForDeliveryAsync(failing, pendingId, d => d.AsInt("attempts") == 1);
        await client.SingleDeliveryIdAsync(dead);
        var ping = await (await client.PostAsync($"{ok}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        var deadPing = await (await client.PostAsync($"{dead}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("failed", deadPing.AsText("status"));
        var maintenance = app.Services.GetServices<IHostedService>().OfType<DeliveryMaintenance>().Single();

        // Nothing is older than the retention yet.
        Assert.Equal(0, await maintenance.PruneAsync(CancellationToken.None));
        Assert.Equal(2, (await client.ListDeliveriesAsync(ok)).Count);

        app.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await maintenance.PruneAsync(CancellationToken.None) >= 3);

        await (await client.GetAsync($"{ok}/deliveries/{okId}")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"{ok}/deliveries/{ping.AsText("id")}")).AssertErrorAsync(HttpStatusCode.NotFound);
        Assert.Empty(await client.ListDeliveriesAsync(ok));
        var dueForRetry = await client.GetDeliveryAsync(failing, pendingId);
        Assert.Equal("pending", dueForRetry.AsText("status"));
        Assert.Single(dueForRetry["attemptHistory"]!.AsArray());
        // The dead hook's event delivery is still pending (its retry is due); only its failed ping went.
        Assert.Equal("pending", Assert.Single(await client.ListDeliveriesAsync(dead))!.AsText("status"));
    }

    private static DateTimeOffset NextAttemptAt(System.Text.Json.Nodes.JsonObject delivery) =>
        DateTimeOffset.Parse(delivery.AsText("nextAttemptAt"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
