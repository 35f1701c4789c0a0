using System.Net;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>
/// On SQLite the dispatcher claims up to 256 deliveries ahead of sending them, shared by the webhooks with due work (StackHooks:Delivery:ClaimAheadPerWebhook).
/// What it holds unsent must follow the webhook: a changed URL gets the rest, a deleted webhook gets nothing more, and a delivery
/// that waited behind a slow receiver longer than its lease allows is given back and still sent exactly once.
/// One send at a time per webhook, each answered after a pause, keeps most of the backlog held and unsent while the test acts.
/// </summary>
public sealed class ClaimAheadTests : IAsyncLifetime
{
    private const int Events = 8;

    private readonly StackHooksApp app = new StackHooksApp()
        .With("StackHooks:Delivery:MaxConcurrencyPerWebhook", "1")
        .With("StackHooks:Delivery:Timeout", "00:00:01.5")
        .With("StackHooks:Delivery:LeaseDuration", "00:00:04");

    private Receiver receiver = null!;

    public async ValueTask InitializeAsync() => receiver = await Receiver.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await receiver.DisposeAsync();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AChangedPayloadUrlGetsEveryDeliveryNotYetSent()
    {
        var (client, hook) = await QueueBehindASlowReceiverAsync("/old", TimeSpan.FromMilliseconds(500));
        await receiver.WaitForCountAsync(1, Patience, r => r.Path == "/old");

        var patched = await client.PatchAsync(hook, Json(new JsonObject { ["payloadUrl"] = receiver.Url("/new") }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);

        await receiver.WaitForCountAsync(Events, Patience);
        var old = receiver.On("/old").Count;
        Assert.InRange(old, 1, 2); // the attempt in flight when the URL changed (and at most one starting at that moment)
        Assert.Equal(Events - old, receiver.On("/new").Count);
        AssertEachSentOnce(receiver.Requests);
        Assert.Equal(Events, (await WaitForDeliveriesAsync(client, hook, Events)).Count(d => d!.AsText("status") == "succeeded"));
    }

    [Fact]
    public async Task ADeletedWebhookGetsNothingMoreThanWhatWasInFlight()
    {
        var (client, hook) = await QueueBehindASlowReceiverAsync("/gone", TimeSpan.FromMilliseconds(500));
        await receiver.WaitForCountAsync(1, Patience, r => r.Path == "/gone");

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(hook)).StatusCode);
        var sentBefore = receiver.On("/gone").Count;

        // Had the held deliveries been sent, the next would arrive within 0.5 s of the last; give them four times that.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.InRange(receiver.On("/gone").Count, sentBefore, Math.Min(sentBefore + 1, 2));
    }

    [Fact]
    public async Task DeliveriesThatWaitLongerThanTheirLeaseAllowsAreGivenBackAndStillSentExactlyOnce()
    {
        // 0.9 s per attempt, one at a time: the later ones wait several seconds, longer than a 4 s lease leaves for starting.
        var (client, hook) = await QueueBehindASlowReceiverAsync("/slow", TimeSpan.FromMilliseconds(900));

        var requests = await receiver.WaitForCountAsync(Events, TimeSpan.FromSeconds(40), r => r.Path == "/slow");
        AssertEachSentOnce(requests);
        // One at a time: no request arrived before the previous one was answered.
        var arrivals = requests.Select(r => r.ArrivedAt).Order().ToList();
        Assert.All(arrivals.Zip(arrivals.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromMilliseconds(850), $"{pair.First:O} then {pair.Second:O}"));
        var deliveries = await WaitForDeliveriesAsync(client, hook, Events);
        Assert.All(deliveries, d =>
        {
            Assert.Equal("succeeded", d!.AsText("status"));
            Assert.Equal(1, d!.AsInt("attempts"));
        });
    }

    /// <summary>A stack hook whose receiver answers each request after <paramref name="delay"/>, and <see cref="Events"/> events for it.</summary>
    private async Task<(HttpClient Client, string Hook)> QueueBehindASlowReceiverAsync(string path, TimeSpan delay)
    {
        receiver.Respond(path, (_, _) => new ReceiverResponse(Delay: delay));
        var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url(path), filters: ["update_succeeded"]);
        for (var i = 0; i < Events; i++)
        {
            await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded", new { version = i + 1 }));
        }

        return (client, hook);
    }

    private static async Task<JsonArray> WaitForDeliveriesAsync(HttpClient client, string hook, int count)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            var deliveries = await client.ListDeliveriesAsync(hook);
            if (deliveries.Count(d => d!.AsText("status") != "pending") >= count || DateTimeOffset.UtcNow > deadline)
            {
                return deliveries;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100)); // poll interval, bounded by the deadline
        }
    }

    private static void AssertEachSentOnce(IReadOnlyList<RecordedRequest> requests)
    {
        Assert.Equal(Events, requests.Count);
        Assert.Equal(Events, requests.Select(r => r.WebhookId).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, Events), requests.Select(r => r.Json["version"]!.GetValue<int>()).Order());
    }
}
