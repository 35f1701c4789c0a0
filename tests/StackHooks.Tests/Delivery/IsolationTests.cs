using System.Net.Http.Json;
using StackHooks.Tests.Support;

namespace StackHooks.Tests.Delivery;

/// <summary>A receiver that hangs until the timeout must not slow deliveries to other receivers.</summary>
public sealed class IsolationTests : IAsyncLifetime
{
    private readonly StackHooksApp app = new StackHooksApp().With("StackHooks:Delivery:Timeout", "00:00:30");
    private Receiver receiver = null!;

    public async ValueTask InitializeAsync() => receiver = await Receiver.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await receiver.DisposeAsync(); // ends the hanging requests, so the app stops quickly
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AHangingReceiverHoldsOnlyItsOwnSlotsWhileAFastOneGetsEverything()
    {
        const int events = 100;
        receiver.Respond("/hang", ReceiverResponse.HangUntilCancelled);
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "p", "dev");
        using var admin = app.Admin();
        await CreateHooksAsync(admin, org, ("hang", "/hang"), ("fast", "/fast"));
        for (var version = 1; version <= events; version++)
        {
            (await admin.PostAsJsonAsync($"/api/stacks/{org}/p/dev/events", new { @event = "update_succeeded", version })).EnsureSuccessStatusCode();
        }

        // Every hanging attempt lasts 30 s; the fast receiver must get all its deliveries long before one of them ends.
        var fast = await receiver.WaitForCountAsync(events, TimeSpan.FromSeconds(20), r => r.Path == "/fast");
        Assert.Equal(events, fast.Select(r => r.Json["version"]!.GetValue<int>()).Distinct().Count());
        Assert.InRange(receiver.On("/hang").Count, 1, DeliveryDefaults.PerWebhook);
    }

    [Fact]
    public async Task SeveralHangingReceiversWithBacklogsCannotTakeTheFastOnesPlaces()
    {
        // 3 hanging webhooks with 400 due deliveries each could fill every place the dispatcher holds (send slots plus
        // claim-ahead) if a claim gave each webhook all it could take; each gets its part of the claim-ahead instead.
        const int events = 400;
        receiver.Respond("/hang", ReceiverResponse.HangUntilCancelled);
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "p", "dev");
        using var admin = app.Admin();
        await CreateHooksAsync(admin, org, ("hang1", "/hang"), ("hang2", "/hang"), ("hang3", "/hang"), ("fast", "/fast"));
        for (var version = 1; version <= events; version++)
        {
            (await admin.PostAsJsonAsync($"/api/stacks/{org}/p/dev/events", new { @event = "update_succeeded", version })).EnsureSuccessStatusCode();
        }

        var fast = await receiver.WaitForCountAsync(events, TimeSpan.FromSeconds(20), r => r.Path == "/fast");
        Assert.Equal(events, fast.Select(r => r.Json["version"]!.GetValue<int>()).Distinct().Count());
        Assert.InRange(receiver.On("/hang").Count, 3, 3 * DeliveryDefaults.PerWebhook); // the limit at most per hanging webhook
    }

    private async Task CreateHooksAsync(HttpClient admin, string org, params (string Name, string Path)[] hooks)
    {
        foreach (var (name, path) in hooks)
        {
            (await admin.PostAsJsonAsync($"/api/stacks/{org}/p/dev/hooks", new
            {
                organizationName = org,
                displayName = name,
                payloadUrl = receiver.Url(path),
                active = true,
                name,
                filters = new[] { "update_succeeded" },
            })).EnsureSuccessStatusCode();
        }
    }
}
