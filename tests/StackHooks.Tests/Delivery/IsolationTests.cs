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
        foreach (var (name, path) in new[] { ("hang", "/hang"), ("fast", "/fast") })
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

        for (var version = 1; version <= events; version++)
        {
            (await admin.PostAsJsonAsync($"/api/stacks/{org}/p/dev/events", new { @event = "update_succeeded", version })).EnsureSuccessStatusCode();
        }

        // Every hanging attempt lasts 30 s; the fast receiver must get all its deliveries long before one of them ends.
        var fast = await receiver.WaitForCountAsync(events, TimeSpan.FromSeconds(20), r => r.Path == "/fast");
        Assert.Equal(events, fast.Select(r => r.Json["version"]!.GetValue<int>()).Distinct().Count());
        Assert.InRange(receiver.On("/hang").Count, 1, 4); // the per-webhook limit (StackHooks:Delivery:MaxConcurrencyPerWebhook)
    }
}
