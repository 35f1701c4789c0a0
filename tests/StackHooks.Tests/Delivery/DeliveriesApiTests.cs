using System.Net;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>
/// Retries on a real (quick) schedule, final failure and redelivery, ping, and the deliveries API (SPEC §2, §5), against a
/// real receiver. The app retries after 0.2 s and 0.2 s: three attempts in all.
/// </summary>
public sealed class DeliveriesApiTests(QuickRetryApp app) : IClassFixture<QuickRetryApp>
{
    [Fact]
    public async Task AFailingReceiverIsRetriedOnTheScheduleUntilItAnswers2xx()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/flaky", ReceiverResponse.Code(500, "down"), ReceiverResponse.Code(502), ReceiverResponse.Code(204));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/flaky"));

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        var id = await client.SingleDeliveryIdAsync(hook);
        var delivery = await client.WaitForDeliveryAsync(hook, id, d => d.AsText("status") != "pending");

        Assert.Equal("succeeded", delivery.AsText("status"));
        Assert.Equal(3, delivery.AsInt("attempts"));
        Assert.Equal(204, delivery.AsInt("responseCode"));
        Assert.Null(delivery["error"]);
        Assert.Null(delivery["nextAttemptAt"]);
        var history = delivery["attemptHistory"]!.AsArray();
        Assert.Equal([1, 2, 3], history.Select(a => a!.AsInt("attempt")));
        Assert.Equal([500, 502, 204], history.Select(a => a!.AsInt("responseCode")));
        Assert.Equal("down", history[0]!.AsText("responseBody"));
        Assert.Contains("500", history[0]!.AsText("error"), StringComparison.Ordinal);
        Assert.Contains("502", history[1]!.AsText("error"), StringComparison.Ordinal);
        Assert.Null(history[2]!["error"]);

        var requests = receiver.On("/flaky");
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(id, r.WebhookId));
        Assert.All(requests, r => Assert.Equal(requests[0].Body, r.Body));
        // 0.2 s ±20 % between attempts: never sooner than 0.16 s.
        Assert.True(requests[1].ArrivedAt - requests[0].ArrivedAt >= TimeSpan.FromMilliseconds(150), $"{requests[0].ArrivedAt:O} → {requests[1].ArrivedAt:O}");
        Assert.True(requests[2].ArrivedAt - requests[1].ArrivedAt >= TimeSpan.FromMilliseconds(150), $"{requests[1].ArrivedAt:O} → {requests[2].ArrivedAt:O}");
    }

    [Fact]
    public async Task AfterTheLastAttemptTheDeliveryIsFailedAndRedeliverySendsTheSameBodyAndIdAgain()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/down", ReceiverResponse.Code(500, "still down"));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/down"), secret: "redeliver-secret");

        await app.CreateStackAsync(org, "proj", "dev");
        var id = await client.SingleDeliveryIdAsync(hook);
        var failed = await client.WaitForDeliveryAsync(hook, id, d => d.AsText("status") != "pending");
        Assert.Equal("failed", failed.AsText("status"));
        Assert.Equal(3, failed.AsInt("attempts"));
        Assert.Equal(500, failed.AsInt("responseCode"));
        Assert.Contains("500", failed.AsText("error"), StringComparison.Ordinal);
        Assert.Null(failed["nextAttemptAt"]);
        Assert.Equal(3, failed["attemptHistory"]!.AsArray().Count);
        Assert.Equal(3, receiver.On("/down").Count);

        receiver.Respond("/down", ReceiverResponse.Code(200, "back"));
        var redelivered = await (await client.PostAsync($"{hook}/deliveries/{id}/redeliver", null)).AssertJsonAsync(HttpStatusCode.OK);

        Assert.Equal(id, redelivered.AsText("id"));
        Assert.Equal("succeeded", redelivered.AsText("status"));
        Assert.Equal(4, redelivered.AsInt("attempts"));
        Assert.Equal(200, redelivered.AsInt("responseCode"));
        Assert.Equal("back", redelivered.AsText("responseBody"));
        Assert.Null(redelivered["error"]);
        Assert.Null(redelivered["nextAttemptAt"]);
        Assert.Equal(failed.AsText("payload"), redelivered.AsText("payload"));
        var requests = receiver.On("/down");
        Assert.Equal(4, requests.Count);
        Assert.Equal(requests[0].Body, requests[3].Body);
        Assert.Equal(id, requests[3].WebhookId);
        Assert.Equal(requests[0].Header("Pulumi-Webhook-Signature"), requests[3].Header("Pulumi-Webhook-Signature"));
        var history = (await client.GetDeliveryAsync(hook, id))["attemptHistory"]!.AsArray();
        Assert.Equal([500, 500, 500, 200], history.Select(a => a!.AsInt("responseCode")));

        // A delivery that succeeded can be sent again too, and it stays one delivery.
        var again = await (await client.PostAsync($"{hook}/deliveries/{id}/redeliver", null)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(5, again.AsInt("attempts"));
        Assert.Equal(5, receiver.On("/down").Count);
        Assert.Single(await client.ListDeliveriesAsync(hook));
    }

    [Fact]
    public async Task APingIsSentAtOnceEvenToAnInactiveHookAndReturnsItsDelivery()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/ping", ReceiverResponse.WithHeader(201, "X-Pong", "1", "pong"));
        receiver.Respond("/ping-fails", ReceiverResponse.Code(503, "nope"));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/ping"), active: false);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);

        var request = Assert.Single(receiver.On("/ping"));
        Assert.Equal(request.WebhookId, ping.AsText("id"));
        Assert.Equal("ping", request.WebhookKind);
        Assert.Equal("ping", ping.AsText("kind"));
        Assert.Equal(request.BodyText, ping.AsText("payload"));
        var payload = JsonNode.Parse(ping.AsText("payload"))!;
        Assert.Equal("🍹 Just a friendly ping from Pulumi 🍹", payload.AsText("message"));
        Assert.InRange(payload.AsLong("timestamp"), before - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.InRange(ping.AsLong("timestamp"), before - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(201, ping.AsInt("responseCode"));
        Assert.Equal("pong", ping.AsText("responseBody"));
        Assert.Equal("1", ParseHeaderLines(ping.AsText("responseHeaders"))["X-Pong"]);
        Assert.Equal("succeeded", ping.AsText("status"));
        Assert.Equal(1, ping.AsInt("attempts"));
        Assert.Equal(receiver.Url("/ping"), ping.AsText("requestUrl"));
        Assert.True(ping.AsLong("duration") >= 0);
        Assert.Equal(ping.AsText("id"), Assert.Single(await client.ListDeliveriesAsync(hook))!.AsText("id"));

        // A ping that fails is answered all the same (the operation worked), recorded as failed and not retried.
        var failingHook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/ping-fails"));
        var failed = await (await client.PostAsync($"{failingHook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("failed", failed.AsText("status"));
        Assert.Equal(503, failed.AsInt("responseCode"));
        Assert.Equal("nope", failed.AsText("responseBody"));
        Assert.Contains("503", failed.AsText("error"), StringComparison.Ordinal);
        Assert.Null(failed["nextAttemptAt"]);
        Assert.Single(receiver.On("/ping-fails"));
    }

    public static TheoryData<string> UnknownHookPaths => new()
    {
        "/api/orgs/{org}/hooks/nosuchhook",
        "/api/stacks/{org}/proj/dev/hooks/nosuchhook",
        "/api/esc/environments/{org}/proj/staging/hooks/nosuchhook",
    };

    [Theory]
    [MemberData(nameof(UnknownHookPaths))]
    public async Task PingDeliveriesAndRedeliverOfAnUnknownHookAre404(string path)
    {
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        await app.CreateEnvironmentAsync(org, "proj", "staging");
        var hook = path.Replace("{org}", org, StringComparison.Ordinal);

        await (await client.PostAsync($"{hook}/ping", null)).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"{hook}/deliveries")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"{hook}/deliveries/{Guid.NewGuid()}")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.PostAsync($"{hook}/deliveries/{Guid.NewGuid()}/redeliver", null)).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnUnknownDeliveryOrOneOfAnotherHookIs404()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        var place = HookPlace.OfOrganization(org);
        var hook = await client.CreateHookAsync(place, receiver.Url("/mine"));
        var otherHook = await client.CreateHookAsync(place, receiver.Url("/theirs"));
        var theirs = await (await client.PostAsync($"{otherHook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);

        foreach (var id in new[] { Guid.NewGuid().ToString(), "not-a-uuid", theirs.AsText("id") })
        {
            await (await client.GetAsync($"{hook}/deliveries/{id}")).AssertErrorAsync(HttpStatusCode.NotFound);
            await (await client.PostAsync($"{hook}/deliveries/{id}/redeliver", null)).AssertErrorAsync(HttpStatusCode.NotFound);
        }

        Assert.Empty(receiver.On("/mine"));
        Assert.Single(receiver.On("/theirs"));
    }

    [Fact]
    public async Task TheDeliveriesListIsNewestFirstAndFiltersByKindStatusAndLimit()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/list", ReceiverResponse.Ok, ReceiverResponse.Code(500), ReceiverResponse.Ok);
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/list"));
        var events = StackEvents(org, "proj", "dev");

        var okPing = (await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK)).AsText("id");
        var failedPing = (await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK)).AsText("id");
        await client.PostEventAsync(events, Event("update_succeeded"));
        var update = (await client.WaitForDeliveriesAsync(hook, l => l.Count == 3 && l[0]!.AsText("status") == "succeeded"))[0]!.AsText("id");
        await client.PostEventAsync(events, Event("deployment_queued", new { version = 1 }));
        var deployment = (await client.WaitForDeliveriesAsync(hook, l => l.Count == 4 && l[0]!.AsText("status") == "succeeded"))[0]!.AsText("id");

        async Task<string[]> IdsAsync(string query) => (await client.ListDeliveriesAsync(hook, query)).Select(d => d!.AsText("id")).ToArray();

        Assert.Equal([deployment, update, failedPing, okPing], await IdsAsync(""));
        Assert.Equal([failedPing, okPing], await IdsAsync("?kind=ping"));
        Assert.Equal([update], await IdsAsync("?kind=stack_update"));
        Assert.Equal([deployment], await IdsAsync("?kind=deployment"));
        Assert.Empty(await IdsAsync("?kind=environment"));
        Assert.Equal([failedPing], await IdsAsync("?status=failed"));
        Assert.Equal([deployment, update, okPing], await IdsAsync("?status=succeeded"));
        Assert.Empty(await IdsAsync("?status=pending"));
        Assert.Equal([okPing], await IdsAsync("?kind=ping&status=succeeded"));
        Assert.Equal([deployment, update], await IdsAsync("?limit=2"));
        Assert.Equal([deployment], await IdsAsync("?limit=1"));
        Assert.Equal([update], await IdsAsync("?status=succeeded&limit=3&kind=stack_update"));

        foreach (var bad in new[] { "?status=bogus", "?status=SUCCEEDED", "?limit=0", "?limit=-1", "?limit=abc", "?limit=100000" })
        {
            var message = await (await client.GetAsync($"{hook}/deliveries{bad}")).AssertErrorAsync(HttpStatusCode.BadRequest);
            Assert.Contains(bad.Contains("status", StringComparison.Ordinal) ? "status" : "limit", message, StringComparison.Ordinal);
        }
    }
}
