using System.Net;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>SPEC §4.1: recording events — idempotency keys, and bad input refused with a 400 that names the field.</summary>
public sealed class EventIngestionTests(StackHooksApp app) : IClassFixture<StackHooksApp>
{
    [Fact]
    public async Task TheSameIdempotencyKeyRecordsTheEventOnceAndDifferentKeysRecordItTwice()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/idempotent"));
        var events = StackEvents(org, "proj", "dev");
        var body = Event("update_succeeded", new { resourceChanges = new { create = 1 } });

        var first = await client.PostEventAsync(events, body, idempotencyKey: "run-42/update");
        var retry = await client.PostEventAsync(events, body, idempotencyKey: "run-42/update");
        Assert.Equal(first.AsText("id"), retry.AsText("id"));
        Assert.Equal(1, first.AsInt("deliveries"));
        Assert.Equal(1, retry.AsInt("deliveries"));
        var once = await client.WaitForDeliveriesAsync(hook, list => list.Count >= 1);
        Assert.Single(once);
        var onlyRequest = await receiver.WaitForAsync(r => r.WebhookId == once[0]!.AsText("id"), Patience);
        Assert.EndsWith("/updates/1", onlyRequest.Json.AsText("updateUrl"), StringComparison.Ordinal);
        // The replay did not number another update either.
        Assert.Equal(1, (await (await client.GetAsync($"/api/stacks/{org}/proj/dev")).AssertJsonAsync(HttpStatusCode.OK)).AsInt("version"));

        var a = await client.PostEventAsync(events, body, idempotencyKey: "run-43/update");
        var b = await client.PostEventAsync(events, body, idempotencyKey: "run-44/update");
        Assert.NotEqual(a.AsText("id"), b.AsText("id"));
        Assert.DoesNotContain(first.AsText("id"), new[] { a.AsText("id"), b.AsText("id") });
        var all = await client.WaitForDeliveriesAsync(hook, list => list.Count >= 3);
        Assert.Equal(3, all.Count);
        var requests = await receiver.WaitForCountAsync(3, Patience);
        Assert.Equal(3, requests.Count);
        Assert.Equal(3, requests.Select(r => r.WebhookId).Distinct().Count());
        Assert.Equal(["/updates/1", "/updates/2", "/updates/3"],
            requests.Select(r => r.Json.AsText("updateUrl")).Select(u => u[u.LastIndexOf("/updates/", StringComparison.Ordinal)..]).Order().ToArray());
    }

    [Fact]
    public async Task OverlappingRetriesWithTheSameIdempotencyKeyRecordTheEventOnce()
    {
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), "http://127.0.0.1:9/unused", active: true, filters: ["import_failed"]);
        var events = StackEvents(org, "proj", "dev");

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            client.PostEventAsync(events, Event("import_failed"), idempotencyKey: "one-key-many-tries")));

        Assert.Single(answers.Select(a => a.AsText("id")).Distinct());
        Assert.All(answers, a => Assert.Equal(1, a.AsInt("deliveries")));
        Assert.Single(await client.ListDeliveriesAsync(hook));
        Assert.Equal(1, (await (await client.GetAsync($"/api/stacks/{org}/proj/dev")).AssertJsonAsync(HttpStatusCode.OK)).AsInt("version"));
    }

    [Fact]
    public async Task AnIdempotencyKeyOfAnotherOrganizationIsAnotherEvent()
    {
        using var client = app.Admin();
        var first = await app.CreateOrganizationAsync();
        var second = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(first, "proj", "dev");
        await app.CreateStackAsync(second, "proj", "dev");

        var a = await client.PostEventAsync(StackEvents(first, "proj", "dev"), Event("update_succeeded"), idempotencyKey: "shared-key");
        var b = await client.PostEventAsync(StackEvents(second, "proj", "dev"), Event("update_succeeded"), idempotencyKey: "shared-key");

        Assert.NotEqual(a.AsText("id"), b.AsText("id"));
    }

    public static TheoryData<string, string, string> BadStackEvents => new()
    {
        { """{"event": "no_such_event"}""", "event", "an unknown event" },
        { """{"resourceChanges": {"create": 1}}""", "event", "no event" },
        { """{"event": 42}""", "event", "an event that is not a string" },
        { """{"event": "environment_revision_created", "revision": 1}""", "event", "an environment event on a stack" },
        { """{"event": "stack_created"}""", "event", "a registry event (created by POST /api/stacks)" },
        { """{"event": "stack_deleted"}""", "event", "a registry event (deleted by DELETE /api/stacks)" },
        { """{"event": "update_succeeded", "resourceChanges": "x"}""", "resourceChanges", "resourceChanges that is not an object" },
        { """{"event": "update_succeeded", "resourceChanges": {"create": -1}}""", "resourceChanges", "a negative resource count" },
        { """{"event": "update_succeeded", "resourceChanges": {"create": 1.5}}""", "resourceChanges", "a fractional resource count" },
        { """{"event": "deployment_queued", "version": -1}""", "version", "a negative version" },
        { """{"event": "deployment_queued", "version": "3"}""", "version", "a version that is a string" },
        { """{"event": "deployment_queued", "operation": "launch"}""", "operation", "an unknown operation" },
        { """{"event": "drift_detection_succeeded", "driftDetected": "yes"}""", "driftDetected", "driftDetected that is not a boolean" },
        { """{"event": "policy_violation_mandatory", "policyPack": 7}""", "policyPack", "policyPack that is not a string" },
    };

    public static TheoryData<string, string, string> BadEnvironmentEvents => new()
    {
        { """{"event": "update_succeeded"}""", "event", "a stack event on an environment" },
        { """{"event": "environment_created"}""", "event", "a registry event (created by POST /api/esc/environments)" },
        { """{"event": "environment_revision_created", "revision": "three"}""", "revision", "a revision that is a string" },
        { """{"event": "environment_tag_created", "tagName": ["a"]}""", "tagName", "tagName that is not a string" },
        { """{"event": "imported_environment_changed", "affectedRevisions": [1, "x"]}""", "affectedRevisions", "affectedRevisions with a string" },
        { """{"event": "imported_environment_changed", "importedEnvironmentReference": "base"}""", "importedEnvironmentReference", "a reference that is not an object" },
    };

    [Theory]
    [MemberData(nameof(BadStackEvents))]
    public async Task ABadStackEventIsRefusedWith400NamingTheFieldAndDeliversNothing(string body, string field, string what)
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/bad"));

        var message = await (await client.PostAsync(StackEvents(org, "proj", "dev"), Json(body))).AssertErrorAsync(HttpStatusCode.BadRequest);

        Assert.True(message.Contains($"'{field}'", StringComparison.Ordinal), $"{what}: the message '{message}' does not name '{field}'");
        await AssertNothingDeliveredAsync(client, receiver, hook, StackEvents(org, "proj", "dev"), "refresh_succeeded");
    }

    [Theory]
    [MemberData(nameof(BadEnvironmentEvents))]
    public async Task ABadEnvironmentEventIsRefusedWith400NamingTheFieldAndDeliversNothing(string body, string field, string what)
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateEnvironmentAsync(org, "proj", "staging");
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/bad"));

        var message = await (await client.PostAsync(EnvironmentEvents(org, "proj", "staging"), Json(body))).AssertErrorAsync(HttpStatusCode.BadRequest);

        Assert.True(message.Contains($"'{field}'", StringComparison.Ordinal), $"{what}: the message '{message}' does not name '{field}'");
        await AssertNothingDeliveredAsync(client, receiver, hook, EnvironmentEvents(org, "proj", "staging"), "environment_revision_created");
    }

    [Fact]
    public async Task ABodyThatIsNotJsonOrAnUnknownStackIsRefusedWithoutA500()
    {
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");

        await (await client.PostAsync(StackEvents(org, "proj", "dev"), Json("{not json"))).AssertErrorAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync(StackEvents(org, "proj", "dev"), Json("[1, 2]"))).AssertErrorAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync(StackEvents(org, "proj", "nope"), Json("""{"event": "update_succeeded"}"""))).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.PostAsync(EnvironmentEvents(org, "proj", "nope"), Json("""{"event": "environment_tag_created"}"""))).AssertErrorAsync(HttpStatusCode.NotFound);
        using var request = new HttpRequestMessage(HttpMethod.Post, StackEvents(org, "proj", "dev")) { Content = Json("""{"event": "update_succeeded"}""") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
        await (await client.SendAsync(request)).AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, (await (await client.GetAsync($"/api/stacks/{org}/proj/dev")).AssertJsonAsync(HttpStatusCode.OK)).AsInt("version"));
    }

    /// <summary>
    /// The refused event left no delivery, and a good event recorded afterwards is the only request the receiver ever gets
    /// (deliveries are created with their event, so a stray one would be listed before the good one is even recorded).
    /// </summary>
    private static async Task AssertNothingDeliveredAsync(HttpClient client, Receiver receiver, string hook, string eventsPath, string goodEvent)
    {
        Assert.Empty(await client.ListDeliveriesAsync(hook));
        var good = await client.PostEventAsync(eventsPath, Event(goodEvent, new { revision = 1 }));
        Assert.Equal(1, good.AsInt("deliveries"));
        await receiver.WaitForCountAsync(1, Patience);
        Assert.Single(await client.ListDeliveriesAsync(hook));
        Assert.Single(receiver.Requests);
    }
}
