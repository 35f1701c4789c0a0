using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackHooks.Delivery;
using StackHooks.Storage;
using StackHooks.Tests.Delivery;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Storage;

/// <summary>
/// The storage and dispatcher suite, written once and run on both engines (<see cref="SqliteStorageTests"/>,
/// <see cref="PostgresStorageTests"/>): everything goes through the real HTTP API and real loopback receivers, and a few tests
/// reach into the queue (<see cref="DeliveryQueue"/>, <see cref="DeliveryMaintenance"/>) to play a dead node or the pruner.
/// </summary>
/// <remarks>
/// Where the engines' SQL differs or could differ, each query style of <c>src/</c> is exercised by at least one test:
/// null parameters (<c>@x IS NULL OR …</c>): <see cref="NullQueryParametersMatchEverythingAndGivenOnesFilter"/>;
/// array parameters (<c>IN @ids</c> / <c>= ANY(@ids)</c>) and each engine's form of the claim (a CTE ending in
/// <c>UPDATE … RETURNING</c>; <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL): <see cref="DeliveriesLeftLeasedByADeadNodeAreSentOnceTheirLeaseExpires"/>;
/// <c>UPDATE … RETURNING</c> of a scalar, <c>GREATEST</c>/<c>MAX</c>: <see cref="UpdatesAreNumberedPerStackAndAGivenVersionOnlyMovesTheCounterForward"/>;
/// <c>RETURNING</c> of a row and <c>COALESCE(MAX(…), 0) + 1</c>: the deployment tests; <c>LIMIT @n</c> and paging: the webhook test;
/// <c>DELETE … IN (SELECT … LIMIT)</c> batches and cascades: <see cref="PruningRemovesFinishedHistoryOlderThanTheRetentionButNeverPendingDeliveries"/>.
/// Check-then-insert under concurrency (SQLite's single writer; PostgreSQL's READ COMMITTED needs more) is raced
/// deterministically by the <c>Concurrent…</c> and <c>TwoRunners…</c> tests: the test holds the contested row or lock until every
/// request waits for it (<see cref="WaitUntilWaitingOrDoneAsync"/>).
/// </remarks>
public abstract class StorageSuite<TApp>(TApp app) : IClassFixture<TApp>
    where TApp : StackHooksApp, new()
{
    private static readonly int PerWebhook = DeliveryDefaults.PerWebhook;

    protected TApp App { get; } = app;

    private Database Database => App.Services.GetRequiredService<Database>();

    // ---------------------------------------------------------------- webhooks

    [Fact]
    public async Task WebhooksAreCreatedReadListedUpdatedAndDeletedAndTheirStoredSecretSignsDeliveries()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        await App.CreateEnvironmentAsync(org, "proj", "staging");
        var place = HookPlace.OfOrganization(org);

        var created = await (await client.PostAsync(place.BasePath, Json(new JsonObject
        {
            ["organizationName"] = org,
            ["name"] = "signed",
            ["displayName"] = "Signed hook",
            ["payloadUrl"] = receiver.Url("/signed"),
            ["active"] = true,
            ["filters"] = new JsonArray("update_succeeded"),
            ["groups"] = new JsonArray("deployments"),
            ["secret"] = "first-secret",
        }))).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal("signed", created.AsText("name"));
        Assert.Equal("Signed hook", created.AsText("displayName"));
        Assert.Equal(receiver.Url("/signed"), created.AsText("payloadUrl"));
        Assert.True(created["active"]!.GetValue<bool>());
        Assert.Equal("raw", created.AsText("format"));
        Assert.Equal(["update_succeeded"], created["filters"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal(["deployments"], created["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.True(created["hasSecret"]!.GetValue<bool>());
        Assert.Equal(Sha256("first-secret"), created.AsText("secretCiphertext"));
        Assert.False(created.ContainsKey("secret"));
        var hook = place.Hook("signed");
        Assert.True(JsonNode.DeepEquals(created, await GetJsonAsync(client, hook)));

        // PATCH without a secret keeps the stored one, and the stored one still signs.
        var patched = await (await client.PatchAsync(hook, Json("""{"displayName": "Renamed", "active": false}"""))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Renamed", patched.AsText("displayName"));
        Assert.False(patched["active"]!.GetValue<bool>());
        Assert.True(patched["hasSecret"]!.GetValue<bool>());
        Assert.Equal(Sha256("first-secret"), patched.AsText("secretCiphertext"));
        Assert.Equal(["update_succeeded"], patched["filters"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.True(JsonNode.DeepEquals(patched, await GetJsonAsync(client, hook)));
        var signed = await PingAndReceiveAsync(client, hook, receiver, "/signed");
        Assert.Equal(Hmac("first-secret", signed.Body), signed.Header("Pulumi-Webhook-Signature"));

        // A new secret replaces it …
        var replaced = await (await client.PatchAsync(hook, Json("""{"secret": "second-secret"}"""))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(Sha256("second-secret"), replaced.AsText("secretCiphertext"));
        Assert.Equal("Renamed", replaced.AsText("displayName"));
        var resigned = await PingAndReceiveAsync(client, hook, receiver, "/signed");
        Assert.Equal(Hmac("second-secret", resigned.Body), resigned.Header("Pulumi-Webhook-Signature"));

        // … and the sentinel removes it: deliveries go unsigned.
        var removed = await (await client.PatchAsync(hook, Json("""{"secret": "__remove-secret"}"""))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.False(removed["hasSecret"]!.GetValue<bool>());
        Assert.Equal("", removed.AsText("secretCiphertext"));
        var unsigned = await PingAndReceiveAsync(client, hook, receiver, "/signed");
        Assert.Null(unsigned.Header("Pulumi-Webhook-Signature"));

        // The list is ordered by name and pages with LIMIT and a continuation token.
        foreach (var name in new[] { "alpha", "omega", "middle" })
        {
            await client.CreateHookAsync(place, receiver.Url("/" + name), name: name);
        }

        var all = await (await client.GetAsync(place.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal(["alpha", "middle", "omega", "signed"], all.Select(h => h!.AsText("name")));
        var firstPage = await client.GetAsync($"{place.BasePath}?limit=3");
        Assert.Equal(["alpha", "middle", "omega"], (await firstPage.AssertJsonArrayAsync(HttpStatusCode.OK)).Select(h => h!.AsText("name")));
        var token = firstPage.Headers.GetValues("X-Continuation-Token").Single();
        var secondPage = await client.GetAsync($"{place.BasePath}?limit=3&continuationToken={token}");
        Assert.Equal(["signed"], (await secondPage.AssertJsonArrayAsync(HttpStatusCode.OK)).Select(h => h!.AsText("name")));
        Assert.False(secondPage.Headers.Contains("X-Continuation-Token"));

        // Stack and environment hooks are stored with their scope.
        var stackHook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/stack"), name: "signed", secret: "stack-secret");
        var stackJson = await GetJsonAsync(client, stackHook);
        Assert.Equal(("proj", "dev"), (stackJson.AsText("projectName"), stackJson.AsText("stackName")));
        Assert.Equal(Sha256("stack-secret"), stackJson.AsText("secretCiphertext"));
        var envHook = await client.CreateHookAsync(HookPlace.OfEnvironment(org, "proj", "staging"), receiver.Url("/env"), name: "signed");
        var envJson = await GetJsonAsync(client, envHook);
        Assert.Equal(("proj", "staging"), (envJson.AsText("projectName"), envJson.AsText("envName")));
        Assert.False(envJson["hasSecret"]!.GetValue<bool>());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(hook)).StatusCode);
        await (await client.GetAsync(hook)).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync(hook)).AssertErrorAsync(HttpStatusCode.NotFound);
        Assert.Equal(["alpha", "middle", "omega"], (await (await client.GetAsync(place.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK)).Select(h => h!.AsText("name")));
        // Deleting the organization hook left the same name in the other scopes alone.
        await GetJsonAsync(client, stackHook);
        await GetJsonAsync(client, envHook);
    }

    [Fact]
    public async Task AWebhookNameIsUniqueInItsScopeAndConcurrentCreatesOfOneNameMakeOneWebhook()
    {
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        var place = HookPlace.OfOrganization(org);
        await client.CreateHookAsync(place, "https://example.com/one", name: "taken");

        var message = await (await client.PostAsync(place.BasePath, Json(HookBody(org, "taken")))).AssertErrorAsync(HttpStatusCode.Conflict);
        Assert.Contains("taken", message, StringComparison.Ordinal);
        // The same name in another scope is another webhook.
        await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), "https://example.com/two", name: "taken");

        // Three creates that all found the name free and all wait to insert it: one wins, the others are told it is taken.
        AssertOneWonAndTheRestConflicted(await RaceOnAKeyAsync(
            """
            INSERT INTO webhooks (id, org_name, scope, project_name, target_name, name, display_name, payload_url, active, format, created_at, updated_at)
            VALUES (@id, @org, 'organization', '', '', 'held', 'held', 'https://example.com/held', TRUE, 'raw', 0, 0)
            """,
            new { id = Guid.NewGuid().ToString(), org },
            () => client.PostAsync(place.BasePath, Json(HookBody(org, "held")))), 201);

        // The same, as it happens: eight at once.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await client.PostAsync(place.BasePath, Json(HookBody(org, "raced")));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }));
        AssertOneWonAndTheRestConflicted(answers, 201);
        await GetJsonAsync(client, place.Hook("raced"));

        // Concurrent creates without a name all succeed, each with a name of its own.
        var unnamed = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            (await (await client.PostAsync(place.BasePath, Json(HookBody(org, null)))).AssertJsonAsync(HttpStatusCode.Created)).AsText("name")));
        Assert.Equal(8, unnamed.Distinct().Count());
        var listed = await (await client.GetAsync(place.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal(11, listed.Count);
    }

    // ---------------------------------------------------------------- stacks and environments

    [Fact]
    public async Task ConcurrentCreatesOfOneStackOrEnvironmentMakeOneAndRecordOneEvent()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/registry"), filters: ["stack_created", "environment_created"]);

        AssertOneWonAndTheRestConflicted(await RaceOnAKeyAsync(
            "INSERT INTO stacks (org_name, project_name, stack_name, version, created_at) VALUES (@org, 'proj', 'held', 0, 0)", new { org },
            () => client.PostAsJsonAsync($"/api/stacks/{org}/proj", new { stackName = "held" })), 201);
        AssertOneWonAndTheRestConflicted(await RaceOnAKeyAsync(
            "INSERT INTO environments (org_name, project_name, env_name, created_at) VALUES (@org, 'proj', 'held', 0)", new { org },
            () => client.PostAsJsonAsync($"/api/esc/environments/{org}", new { project = "proj", name = "held" })), 201);

        async Task<(int, string)> SendAsync(Func<Task<HttpResponseMessage>> send)
        {
            using var response = await send();
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        AssertOneWonAndTheRestConflicted(await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            SendAsync(() => client.PostAsJsonAsync($"/api/stacks/{org}/proj", new { stackName = "raced" })))), 201);
        AssertOneWonAndTheRestConflicted(await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            SendAsync(() => client.PostAsJsonAsync($"/api/esc/environments/{org}", new { project = "proj", name = "raced" })))), 201);

        var deliveries = await client.WaitForDeliveriesAsync(hook, list => list.Count >= 4);
        Assert.Equal(["environment_created", "environment_created", "stack_created", "stack_created"], deliveries.Select(d => d!.AsText("event")).Order());
    }

    [Fact]
    public async Task DeletingAStackOrAnEnvironmentRemovesItsWebhooksAndTheirDeliveries()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        await App.CreateEnvironmentAsync(org, "proj", "staging");
        var stackHook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/stack"), name: "doomed");
        var envHook = await client.CreateHookAsync(HookPlace.OfEnvironment(org, "proj", "staging"), receiver.Url("/env"), name: "doomed");
        var orgHook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/org"), filters: ["stack_deleted", "environment_deleted"]);

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        await client.PostEventAsync(EnvironmentEvents(org, "proj", "staging"), Event("environment_revision_created", new { revision = 1 }));
        string[] ids = [await client.SingleDeliveryIdAsync(stackHook), await client.SingleDeliveryIdAsync(envHook)];
        await client.WaitForDeliveryAsync(stackHook, ids[0], d => d.AsText("status") == "succeeded");
        await client.WaitForDeliveryAsync(envHook, ids[1], d => d.AsText("status") == "succeeded");
        Assert.Equal(2, await CountAsync("deliveries", "id", ids));
        Assert.Equal(2, await CountAsync("delivery_attempts", "delivery_id", ids));

        await (await client.PostAsJsonAsync($"/api/stacks/{org}/proj", new { stackName = "dev" })).AssertErrorAsync(HttpStatusCode.Conflict);
        await (await client.PostAsJsonAsync($"/api/esc/environments/{org}", new { project = "proj", name = "staging" })).AssertErrorAsync(HttpStatusCode.Conflict);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/stacks/{org}/proj/dev")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/esc/environments/{org}/proj/staging")).StatusCode);

        Assert.Equal(0, await CountAsync("deliveries", "id", ids));
        Assert.Equal(0, await CountAsync("delivery_attempts", "delivery_id", ids));
        await (await client.GetAsync($"/api/stacks/{org}/proj/dev")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/api/stacks/{org}/proj/dev")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync(stackHook)).AssertErrorAsync(HttpStatusCode.NotFound);
        // Created again, the stack and the environment start without the old webhooks.
        await App.CreateStackAsync(org, "proj", "dev");
        await App.CreateEnvironmentAsync(org, "proj", "staging");
        await (await client.GetAsync(stackHook)).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync(envHook)).AssertErrorAsync(HttpStatusCode.NotFound);
        Assert.Empty(await (await client.GetAsync($"/api/stacks/{org}/proj/dev/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK));
        Assert.Empty(await (await client.GetAsync($"/api/esc/environments/{org}/proj/staging/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK));

        // The deletions were events for the organization's hook.
        var registry = await client.WaitForDeliveriesAsync(orgHook, list => list.Count == 2 && list.All(d => d!.AsText("status") == "succeeded"));
        Assert.Equal(["environment_deleted", "stack_deleted"], registry.Select(d => d!.AsText("event")).Order());
    }

    // ---------------------------------------------------------------- events

    [Fact]
    public async Task AnEventFansOutToEveryMatchingActiveHookWithOneSucceededDeliveryEach()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        await App.CreateStackAsync(org, "proj", "prod");
        await App.CreateEnvironmentAsync(org, "proj", "staging");
        var orgPlace = HookPlace.OfOrganization(org);
        var dev = HookPlace.OfStack(org, "proj", "dev");
        var hooks = new Dictionary<string, string>
        {
            ["org-all"] = await client.CreateHookAsync(orgPlace, receiver.Url("/org-all")),
            ["org-failed"] = await client.CreateHookAsync(orgPlace, receiver.Url("/org-failed"), filters: ["update_failed"]),
            ["org-inactive"] = await client.CreateHookAsync(orgPlace, receiver.Url("/org-inactive"), active: false),
            ["dev-all"] = await client.CreateHookAsync(dev, receiver.Url("/dev-all")),
            ["dev-deployments"] = await client.CreateHookAsync(dev, receiver.Url("/dev-deployments"), groups: ["deployments"]),
            ["prod-all"] = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "prod"), receiver.Url("/prod-all")),
            ["staging-all"] = await client.CreateHookAsync(HookPlace.OfEnvironment(org, "proj", "staging"), receiver.Url("/staging-all")),
        };
        var expected = hooks.Keys.ToDictionary(k => k, _ => new List<string>());

        async Task PostAsync(string path, JsonObject body, params string[] receivers)
        {
            var recorded = await client.PostEventAsync(path, body);
            Assert.True(receivers.Length == recorded.AsInt("deliveries"), $"{body.ToJsonString()}: {recorded.ToJsonString()}, expected {string.Join(", ", receivers)}");
            foreach (var name in receivers)
            {
                expected[name].Add(body.AsText("event"));
            }
        }

        await PostAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"), "org-all", "dev-all");
        await PostAsync(StackEvents(org, "proj", "dev"), Event("update_failed"), "org-all", "org-failed", "dev-all");
        await PostAsync(StackEvents(org, "proj", "dev"), Event("deployment_started"), "org-all", "dev-all", "dev-deployments");
        await PostAsync(StackEvents(org, "proj", "prod"), Event("update_failed"), "org-all", "org-failed", "prod-all");
        await PostAsync(EnvironmentEvents(org, "proj", "staging"), Event("environment_revision_created", new { revision = 2 }), "org-all", "staging-all");
        var total = expected.Values.Sum(v => v.Count);

        var arrived = await receiver.WaitForCountAsync(total, Patience);
        foreach (var (name, path) in hooks)
        {
            var deliveries = await client.WaitForDeliveriesAsync(path, list => list.All(d => d!.AsText("status") == "succeeded"), query: "?limit=1000");
            Assert.Equal(expected[name].Order(), deliveries.Select(d => d!.AsText("event")).Order());
            Assert.All(deliveries, d => Assert.Equal(1, d!.AsInt("attempts")));
            Assert.All(deliveries, d => Assert.Equal(200, d!.AsInt("responseCode")));
            Assert.Equal(
                deliveries.Select(d => d!.AsText("id")).Order(),
                arrived.Where(r => r.Path == "/" + name).Select(r => r.WebhookId!).Order());
        }

        Assert.Equal(total, receiver.Requests.Count);
        Assert.Equal(total, receiver.Requests.Select(r => r.WebhookId).Distinct().Count());
    }

    [Fact]
    public async Task ConcurrentRequestsWithOneIdempotencyKeyRecordOneEvent()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/once"), filters: ["update_succeeded"]);
        var events = StackEvents(org, "proj", "dev");

        async Task<(int Status, string Body)> PostAsync(string eventName, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, events) { Content = Json(Event(eventName)) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        static void AssertOneEvent((int Status, string Body)[] answers)
        {
            Assert.True(answers.All(a => a.Status == 202), string.Join("\n", answers.Select(a => $"{a.Status} {a.Body}")));
            Assert.Single(answers.Select(a => JsonNode.Parse(a.Body)!.AsText("id")).Distinct());
        }

        // Three requests that all found the key unused and all wait to record it (a preview: no update number to wait for first).
        AssertOneEvent(await RaceOnAKeyAsync(
            """
            INSERT INTO events (id, org_name, scope, project_name, target_name, event_name, kind, payload, idempotency_key, delivery_count, created_at)
            VALUES (@id, @org, 'stack', 'proj', 'dev', 'preview_succeeded', 'stack_preview', '{}', 'held-key', 0, 0)
            """,
            new { id = Guid.NewGuid().ToString(), org },
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, events) { Content = Json(Event("preview_succeeded")) };
                request.Headers.Add("Idempotency-Key", "held-key");
                return client.SendAsync(request);
            }));

        // The same, as it happens: eight retries of one request at once.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync("update_succeeded", "one-key-many-tries")));
        AssertOneEvent(answers);
        Assert.All(answers, a => Assert.Equal(1, JsonNode.Parse(a.Body)!.AsInt("deliveries")));
        var delivery = Assert.Single(await client.WaitForDeliveriesAsync(hook, list => list.Count == 1 && list[0]!.AsText("status") == "succeeded"));
        Assert.Equal(delivery!.AsText("id"), Assert.Single(receiver.On("/once")).WebhookId);
        Assert.Equal(1, (await GetJsonAsync(client, $"/api/stacks/{org}/proj/dev")).AsInt("version"));

        await using var connection = await Database.OpenAsync();
        foreach (var key in new[] { "one-key-many-tries", "held-key" })
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM events WHERE org_name = @org AND idempotency_key = @key", new { org, key }));
        }
    }

    [Fact]
    public async Task UpdatesAreNumberedPerStackAndAGivenVersionOnlyMovesTheCounterForward()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        await App.CreateStackAsync(org, "proj", "prod");
        await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/dev"), filters: ["update_succeeded"]);
        await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "prod"), receiver.Url("/prod"), filters: ["update_succeeded"]);
        var dev = StackEvents(org, "proj", "dev");

        async Task<long> StackVersionAsync(string stack) => (await GetJsonAsync(client, $"/api/stacks/{org}/proj/{stack}")).AsLong("version");

        for (var i = 0; i < 3; i++)
        {
            await client.PostEventAsync(dev, Event("update_succeeded")); // UPDATE … RETURNING version
        }

        Assert.Equal(3, await StackVersionAsync("dev"));
        await client.PostEventAsync(dev, Event("update_succeeded", new { version = 10 })); // GREATEST / MAX
        Assert.Equal(10, await StackVersionAsync("dev"));
        await client.PostEventAsync(dev, Event("update_succeeded"));
        Assert.Equal(11, await StackVersionAsync("dev"));
        await client.PostEventAsync(dev, Event("update_succeeded", new { version = 5 })); // an older number is taken as given …
        Assert.Equal(11, await StackVersionAsync("dev")); // … and does not move the counter back
        await client.PostEventAsync(StackEvents(org, "proj", "prod"), Event("update_succeeded"));
        Assert.Equal(1, await StackVersionAsync("prod"));

        // Concurrent updates of one stack each get their own number.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostEventAsync(dev, Event("update_succeeded"))));
        Assert.Equal(21, await StackVersionAsync("dev"));

        var devVersions = (await receiver.WaitForCountAsync(16, Patience, r => r.Path == "/dev")).Select(r => r.Json.AsLong("version")).Order();
        Assert.Equal([1, 2, 3, 5, 10, 11, .. Enumerable.Range(12, 10).Select(v => (long)v)], devVersions);
        var prod = Assert.Single(await receiver.WaitForCountAsync(1, Patience, r => r.Path == "/prod"));
        Assert.Equal(1, prod.Json.AsLong("version"));
        Assert.EndsWith("/updates/1", prod.Json.AsText("updateUrl"), StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- deliveries

    [Fact]
    public async Task AFailingReceiverIsRetriedOnTheShortScheduleUntilItAnswers2xx()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/flaky", ReceiverResponse.Code(500, "down"), ReceiverResponse.Code(502), ReceiverResponse.Code(204));
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
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
        var requests = receiver.On("/flaky");
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(id, r.WebhookId));
        Assert.All(requests, r => Assert.Equal(requests[0].Body, r.Body));
        // 0.2 s ±20 % between attempts.
        Assert.True(requests[1].ArrivedAt - requests[0].ArrivedAt >= TimeSpan.FromMilliseconds(150), $"{requests[0].ArrivedAt:O} → {requests[1].ArrivedAt:O}");
        Assert.True(requests[2].ArrivedAt - requests[1].ArrivedAt >= TimeSpan.FromMilliseconds(150), $"{requests[1].ArrivedAt:O} → {requests[2].ArrivedAt:O}");
    }

    [Fact]
    public async Task AfterTheLastAttemptTheDeliveryFailsAndRedeliverySendsItAgainUnderTheSameId()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/down", ReceiverResponse.Code(500, "still down"));
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/down"), secret: "redeliver-secret");

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_failed"));
        var id = await client.SingleDeliveryIdAsync(hook);
        var failed = await client.WaitForDeliveryAsync(hook, id, d => d.AsText("status") != "pending");
        Assert.Equal("failed", failed.AsText("status"));
        Assert.Equal(3, failed.AsInt("attempts"));
        Assert.Equal(500, failed.AsInt("responseCode"));
        Assert.Equal("still down", failed.AsText("responseBody"));
        Assert.Contains("500", failed.AsText("error"), StringComparison.Ordinal);
        Assert.Null(failed["nextAttemptAt"]);
        Assert.Equal(3, receiver.On("/down").Count);

        receiver.Respond("/down", ReceiverResponse.Code(200, "back"));
        var redelivered = await (await client.PostAsync($"{hook}/deliveries/{id}/redeliver", null)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(id, redelivered.AsText("id"));
        Assert.Equal("succeeded", redelivered.AsText("status"));
        Assert.Equal(4, redelivered.AsInt("attempts"));
        Assert.Equal("back", redelivered.AsText("responseBody"));
        Assert.Equal(failed.AsText("payload"), redelivered.AsText("payload"));
        var requests = receiver.On("/down");
        Assert.Equal(4, requests.Count);
        Assert.Equal(id, requests[3].WebhookId);
        Assert.Equal(requests[0].Body, requests[3].Body);
        Assert.Equal(Hmac("redeliver-secret", requests[3].Body), requests[3].Header("Pulumi-Webhook-Signature"));
        var history = (await client.GetDeliveryAsync(hook, id))["attemptHistory"]!.AsArray();
        Assert.Equal([500, 500, 500, 200], history.Select(a => a!.AsInt("responseCode")));
        Assert.Single(await client.ListDeliveriesAsync(hook));
        await (await client.PostAsync($"{hook}/deliveries/{Guid.NewGuid()}/redeliver", null)).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task APingIsSentAtOnceAndRecordedAsADeliveryOfTheHook()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/ping", ReceiverResponse.WithHeader(201, "X-Pong", "1", "pong"));
        receiver.Respond("/ping-fails", ReceiverResponse.Code(503, "nope"));
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/ping"), active: false);

        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);

        var request = Assert.Single(receiver.On("/ping"));
        Assert.Equal(request.WebhookId, ping.AsText("id"));
        Assert.Equal("ping", request.WebhookKind);
        Assert.Equal(request.BodyText, ping.AsText("payload"));
        Assert.Equal("🍹 Just a friendly ping from Pulumi 🍹", request.Json.AsText("message"));
        Assert.Equal(201, ping.AsInt("responseCode"));
        Assert.Equal("pong", ping.AsText("responseBody"));
        Assert.Equal("1", ParseHeaderLines(ping.AsText("responseHeaders"))["X-Pong"]);
        Assert.Equal("succeeded", ping.AsText("status"));
        var stored = await client.GetDeliveryAsync(hook, ping.AsText("id"));
        Assert.Equal(ping.AsText("payload"), stored.AsText("payload"));
        Assert.Single(stored["attemptHistory"]!.AsArray());

        var failingHook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/ping-fails"));
        var failed = await (await client.PostAsync($"{failingHook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("failed", failed.AsText("status"));
        Assert.Equal(503, failed.AsInt("responseCode"));
        Assert.Null(failed["nextAttemptAt"]);
        Assert.Single(receiver.On("/ping-fails"));
    }

    [Fact]
    public async Task TheDeliveriesListIsNewestFirstAndFiltersByKindStatusAndLimit()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/list", ReceiverResponse.Ok, ReceiverResponse.Code(500), ReceiverResponse.Ok);
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
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
        Assert.Equal([failedPing], await IdsAsync("?status=failed"));
        Assert.Equal([deployment, update, okPing], await IdsAsync("?status=succeeded"));
        Assert.Empty(await IdsAsync("?status=pending"));
        Assert.Equal([okPing], await IdsAsync("?kind=ping&status=succeeded"));
        Assert.Equal([deployment, update], await IdsAsync("?limit=2"));
        Assert.Equal([update], await IdsAsync("?status=succeeded&limit=3&kind=stack_update"));
    }

    [Fact]
    public async Task RetryAfterBringsTheNextAttemptForwardButNoFurtherBackThanTheStepsCap()
    {
        await using var fresh = NewApp();
        fresh.With("StackHooks:Delivery:RetrySchedule:0", "00:00:10").With("StackHooks:Delivery:RetrySchedule:1", "00:00:10");
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/busy", ReceiverResponse.WithHeader(429, "Retry-After", "1"), ReceiverResponse.Ok);
        receiver.Respond("/unavailable", ReceiverResponse.WithHeader(503, "Retry-After", "3600"));
        receiver.Respond("/error", ReceiverResponse.WithHeader(500, "Retry-After", "1"));
        using var client = fresh.Admin();
        var org = await fresh.CreateOrganizationAsync();
        await fresh.CreateStackAsync(org, "proj", "dev");
        var place = HookPlace.OfStack(org, "proj", "dev");
        var busy = await client.CreateHookAsync(place, receiver.Url("/busy"));
        var unavailable = await client.CreateHookAsync(place, receiver.Url("/unavailable"));
        var error = await client.CreateHookAsync(place, receiver.Url("/error"));

        Assert.Equal(3, (await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("refresh_failed"))).AsInt("deliveries"));

        async Task<TimeSpan> WaitAfterFirstAttemptAsync(string hook, string path)
        {
            var delivery = await client.WaitForDeliveryAsync(hook, await client.SingleDeliveryIdAsync(hook), d => d.AsInt("attempts") >= 1);
            Assert.Equal(1, delivery.AsInt("attempts"));
            Assert.Equal("pending", delivery.AsText("status"));
            return DateTimeOffset.Parse(delivery.AsText("nextAttemptAt"), CultureInfo.InvariantCulture) - receiver.On(path)[0].ArrivedAt;
        }

        // The nominal step is 10 s (8–12 s with jitter): Retry-After 1 brings it forward, 3600 is held to the 12 s cap, and on a 500 it is ignored.
        Assert.InRange(await WaitAfterFirstAttemptAsync(error, "/error"), TimeSpan.FromSeconds(7.9), TimeSpan.FromSeconds(13.5));
        Assert.InRange(await WaitAfterFirstAttemptAsync(unavailable, "/unavailable"), TimeSpan.FromSeconds(11.9), TimeSpan.FromSeconds(13.5));
        var busyId = await client.SingleDeliveryIdAsync(busy);
        var busyFirst = receiver.On("/busy")[0];
        var second = await receiver.WaitForAsync(r => r.Path == "/busy" && r.Sequence > busyFirst.Sequence, Patience);
        Assert.InRange(second.ArrivedAt - busyFirst.ArrivedAt, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        var done = await client.WaitForDeliveryAsync(busy, busyId, d => d.AsText("status") == "succeeded");
        Assert.Equal(2, done.AsInt("attempts"));
        Assert.Single(receiver.On("/unavailable"));
        Assert.Single(receiver.On("/error"));
    }

    [Fact]
    public async Task PruningRemovesFinishedHistoryOlderThanTheRetentionButNeverPendingDeliveries()
    {
        await using var fresh = NewApp();
        fresh.With("StackHooks:Delivery:Retention", "00:00:01")
            .With("StackHooks:Delivery:RetrySchedule:0", "01:00:00")
            .With("StackHooks:Delivery:RetrySchedule:1", "01:00:00");
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/fail", ReceiverResponse.Code(500));
        using var client = fresh.Admin();
        var org = await fresh.CreateOrganizationAsync();
        await fresh.CreateStackAsync(org, "proj", "dev");
        var place = HookPlace.OfStack(org, "proj", "dev");
        var ok = await client.CreateHookAsync(place, receiver.Url("/ok"), filters: ["update_succeeded", "update_failed"]);
        var failing = await client.CreateHookAsync(place, receiver.Url("/fail"), filters: ["update_succeeded"]);
        var events = StackEvents(org, "proj", "dev");

        var shared = (await client.PostEventAsync(events, Event("update_succeeded"))).AsText("id");
        var okOnly = (await client.PostEventAsync(events, Event("update_failed"))).AsText("id");
        var okIds = (await client.WaitForDeliveriesAsync(ok, l => l.Count == 2 && l.All(d => d!.AsText("status") == "succeeded"))).Select(d => d!.AsText("id")).ToList();
        var pendingId = await client.SingleDeliveryIdAsync(failing);
        await client.WaitForDeliveryAsync(failing, pendingId, d => d.AsInt("attempts") == 1);
        var okPing = (await (await client.PostAsync($"{ok}/ping", null)).AssertJsonAsync(HttpStatusCode.OK)).AsText("id");
        var failedPing = await (await client.PostAsync($"{failing}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("failed", failedPing.AsText("status"));
        string[] finished = [.. okIds, okPing, failedPing.AsText("id")];
        Assert.Equal(4, await CountAsync("delivery_attempts", "delivery_id", finished, fresh));
        var maintenance = fresh.Services.GetServices<IHostedService>().OfType<DeliveryMaintenance>().Single();

        var pruned = 0;
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (await CountAsync("deliveries", "id", finished, fresh) > 0)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "finished deliveries older than the retention were never pruned");
            await Task.Delay(TimeSpan.FromMilliseconds(100)); // until they are older than the one-second retention
            pruned += await maintenance.PruneAsync(CancellationToken.None);
        }

        Assert.True(pruned >= 4, $"pruned {pruned} rows");
        Assert.Equal(0, await CountAsync("delivery_attempts", "delivery_id", finished, fresh));
        Assert.Empty(await client.ListDeliveriesAsync(ok));
        await (await client.GetAsync($"{ok}/deliveries/{okPing}")).AssertErrorAsync(HttpStatusCode.NotFound);
        // The pending delivery stays with its attempt, and so does the event it belongs to; the other event went.
        var stillPending = await client.GetDeliveryAsync(failing, pendingId);
        Assert.Equal("pending", stillPending.AsText("status"));
        Assert.Single(stillPending["attemptHistory"]!.AsArray());
        Assert.Equal(1, await CountAsync("events", "id", [shared], fresh));
        Assert.Equal(0, await CountAsync("events", "id", [okOnly], fresh));

        // What is younger than the retention stays.
        var young = (await (await client.PostAsync($"{ok}/ping", null)).AssertJsonAsync(HttpStatusCode.OK)).AsText("id");
        await maintenance.PruneAsync(CancellationToken.None);
        Assert.Equal("succeeded", (await client.GetDeliveryAsync(ok, young)).AsText("status"));
    }

    // ---------------------------------------------------------------- the dispatcher

    [Fact]
    public async Task AHangingReceiverNeverHoldsMoreThanItsPerWebhookLimitWhileAnotherReceiverGetsEverything()
    {
        var events = PerWebhook + 8;
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/hang", ReceiverResponse.HangUntilCancelled);
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        var place = HookPlace.OfStack(org, "proj", "dev");
        var hanging = await client.CreateHookAsync(place, receiver.Url("/hang"), filters: ["update_succeeded"]);
        await client.CreateHookAsync(place, receiver.Url("/fast"), filters: ["update_succeeded"]);

        for (var i = 0; i < events; i++)
        {
            await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        }

        await receiver.WaitForCountAsync(events, Patience, r => r.Path == "/fast");
        // Every request to /hang is still open (they hang for longer than this test runs): arrivals are open requests.
        await receiver.WaitForCountAsync(PerWebhook, Patience, r => r.Path == "/hang");
        Assert.Equal(PerWebhook, receiver.On("/hang").Count);
        Assert.Equal(events, (await client.ListDeliveriesAsync(hanging, "?status=pending")).Count);
        // The leases agree: the limit's worth of the hanging hook's deliveries are in flight, the rest wait unclaimed.
        await using var connection = await Database.OpenAsync();
        Assert.Equal(PerWebhook, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.payload_url = @url AND d.lease_owner IS NOT NULL",
            new { url = receiver.Url("/hang") }));
    }

    [Fact]
    public async Task DeliveriesLeftLeasedByADeadNodeAreSentOnceTheirLeaseExpires()
    {
        await using var receiver = await Receiver.StartAsync();
        // The first requests hold every one of the webhook's slots for three seconds, so the dispatcher leaves the next ones alone
        // while the test leases them in the name of a node that then "dies".
        receiver.Respond("/lease", (_, n) => n < PerWebhook ? new ReceiverResponse(Delay: TimeSpan.FromSeconds(3)) : ReceiverResponse.Ok);
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/lease"), secret: "lease-secret");
        var events = StackEvents(org, "proj", "dev");
        for (var i = 0; i < PerWebhook; i++)
        {
            await client.PostEventAsync(events, Event("update_succeeded"));
        }

        await receiver.WaitForCountAsync(PerWebhook, Patience, r => r.Path == "/lease");
        var queue = App.Services.GetRequiredService<DeliveryQueue>();
        var url = receiver.Url("/lease");

        // Two deliveries leased for five more seconds, claimed in one go (an array parameter of ids) …
        await client.PostEventAsync(events, Event("update_failed"));
        await client.PostEventAsync(events, Event("update_failed"));
        var now = DateTimeOffset.UtcNow;
        var leaseUntil = now + TimeSpan.FromSeconds(5);
        var live = (await queue.ClaimAsync("dead-node-1", now.ToUnixTimeMilliseconds(), leaseUntil.ToUnixTimeMilliseconds(), 1000, 1000, 0, CancellationToken.None))
            .Where(w => w.PayloadUrl == url).ToList();
        Assert.Equal(2, live.Count);
        Assert.All(live, w =>
        {
            Assert.Equal("stack_update", w.Kind);
            Assert.Equal("raw", w.Format);
            Assert.Equal(0, w.Attempts);
            Assert.Equal(3, w.MaxAttempts);
            Assert.NotNull(w.SecretEncrypted);
            Assert.Equal("failed", JsonNode.Parse(w.Payload)!.AsText("result"));
        });

        // … and one whose lease has already run out, as a node that died long ago leaves it.
        await client.PostEventAsync(events, Event("update_succeeded", new { version = 99 }));
        now = DateTimeOffset.UtcNow;
        var expired = Assert.Single(
            await queue.ClaimAsync("dead-node-2", now.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds() - 1, 1000, 1000, 0, CancellationToken.None),
            w => w.PayloadUrl == url);
        Assert.Equal(99, JsonNode.Parse(expired.Payload)!.AsLong("version"));

        var recovered = await receiver.WaitForAsync(r => r.WebhookId == expired.Id, Patience);
        Assert.Equal(Hmac("lease-secret", recovered.Body), recovered.Header("Pulumi-Webhook-Signature"));
        foreach (var work in live)
        {
            var request = await receiver.WaitForAsync(r => r.WebhookId == work.Id, Patience);
            Assert.True(request.ArrivedAt >= leaseUntil, $"sent at {request.ArrivedAt:O}, while the lease held until {leaseUntil:O}");
        }

        foreach (var id in live.Select(w => w.Id).Append(expired.Id))
        {
            var delivery = await client.WaitForDeliveryAsync(hook, id, d => d.AsText("status") == "succeeded");
            Assert.Equal(1, delivery.AsInt("attempts"));
            Assert.Single(receiver.On("/lease"), r => r.WebhookId == id);
        }

        Assert.Equal(PerWebhook + 3, receiver.On("/lease").Count);
    }

    // ---------------------------------------------------------------- deployments

    [Fact]
    public async Task ADeploymentsHookQueuesADeploymentThatARunnerClaimsAndMovesThroughItsLifecycle()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "p", "a");
        await App.CreateStackAsync(org, "p", "b");
        await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/deployments"), groups: ["deployments"]);
        var trigger = await CreateDeploymentHookAsync(client, org, "a", "p/b", "update_succeeded");

        await client.PostEventAsync(StackEvents(org, "p", "a"), Event("update_succeeded"));
        var delivery = (await client.WaitForDeliveriesAsync(trigger, l => l.Count == 1 && l[0]!.AsText("status") != "pending"))[0]!;
        Assert.Equal("succeeded", delivery.AsText("status"));
        Assert.Equal(202, delivery.AsInt("responseCode"));
        var queued = JsonNode.Parse(delivery.AsText("responseBody"))!;
        Assert.Equal(("b", "queued", 1L), (queued.AsText("stackName"), queued.AsText("status"), queued.AsLong("version")));
        var id = queued.AsText("id");
        await WaitForDeploymentEventAsync(receiver, "b", "queued");

        var claim = await client.PostAsync($"/api/orgs/{org}/deployments/claim", null); // UPDATE … RETURNING the row
        Assert.Equal(id, (await claim.AssertJsonAsync(HttpStatusCode.OK)).AsText("id"));
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/orgs/{org}/deployments/claim", null)).StatusCode);

        var deployment = $"/api/stacks/{org}/p/b/deployments/{id}";
        Assert.Equal("running", (await (await client.PatchAsync(deployment, Json("""{"status": "running"}"""))).AssertJsonAsync(HttpStatusCode.OK)).AsText("status"));
        await WaitForDeploymentEventAsync(receiver, "b", "running");
        var finished = await (await client.PatchAsync(deployment, Json("""{"status": "succeeded", "message": "done ✓"}"""))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(("succeeded", "done ✓"), (finished.AsText("status"), finished.AsText("message")));
        await WaitForDeploymentEventAsync(receiver, "b", "succeeded");
        await (await client.PatchAsync(deployment, Json("""{"status": "running"}"""))).AssertErrorAsync(HttpStatusCode.Conflict);
        var stored = (await (await client.GetAsync($"/api/stacks/{org}/p/b/deployments")).AssertJsonArrayAsync(HttpStatusCode.OK)).Single()!;
        Assert.Equal(("succeeded", "done ✓"), (stored.AsText("status"), stored.AsText("message")));

        // A runner's message is free text: one with a NUL character in it is stored or refused, never a 500.
        await client.PostEventAsync(StackEvents(org, "p", "a"), Event("update_succeeded"));
        await client.WaitForDeliveriesAsync(trigger, l => l.Count == 2 && l[0]!.AsText("status") == "succeeded");
        var next = (await (await client.PostAsync($"/api/orgs/{org}/deployments/claim", null)).AssertJsonAsync(HttpStatusCode.OK)).AsText("id");
        using (var failed = await client.PatchAsync($"/api/stacks/{org}/p/b/deployments/{next}", Json("""{"status": "failed", "message": "exit\u0000code 1"}""")))
        {
            var body = await failed.Content.ReadAsStringAsync();
            Assert.True(failed.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)failed.StatusCode}: {body}");
        }

        // A third trigger numbers the stack's next deployment (COALESCE(MAX(version), 0) + 1).
        await client.PostEventAsync(StackEvents(org, "p", "a"), Event("update_succeeded"));
        await client.WaitForDeliveriesAsync(trigger, l => l.Count == 3 && l[0]!.AsText("status") == "succeeded");
        var listed = await (await client.GetAsync($"/api/stacks/{org}/p/b/deployments")).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal([3L, 2L, 1L], listed.Select(d => d!.AsLong("version")));
        Assert.Equal("queued", listed[0]!.AsText("status"));
        Assert.Equal("succeeded", listed[2]!.AsText("status"));
    }

    [Fact]
    public async Task AChainFromAToBBackToAStopsWithASkippedDelivery()
    {
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "p", "a");
        await App.CreateStackAsync(org, "p", "b");
        var aToB = await CreateDeploymentHookAsync(client, org, "a", "p/b", "update_succeeded");
        var bToA = await CreateDeploymentHookAsync(client, org, "b", "p/a", "deployment_succeeded");

        await client.PostEventAsync(StackEvents(org, "p", "a"), Event("update_succeeded"));
        var first = (await client.WaitForDeliveriesAsync(aToB, l => l.Count == 1 && l[0]!.AsText("status") == "succeeded"))[0]!;
        var deployment = $"/api/stacks/{org}/p/b/deployments/{JsonNode.Parse(first.AsText("responseBody"))!.AsText("id")}";
        (await client.PatchAsync(deployment, Json("""{"status": "running"}"""))).EnsureSuccessStatusCode();
        (await client.PatchAsync(deployment, Json("""{"status": "succeeded"}"""))).EnsureSuccessStatusCode();

        var back = (await client.WaitForDeliveriesAsync(bToA, l => l.Count == 1 && l[0]!.AsText("status") != "pending"))[0]!;
        Assert.Equal("skipped", back.AsText("status"));
        Assert.Equal(1, back.AsInt("attempts"));
        Assert.Contains("p/a → p/b → p/a", back.AsText("error"), StringComparison.Ordinal);
        Assert.Empty(await (await client.GetAsync($"/api/stacks/{org}/p/a/deployments")).AssertJsonArrayAsync(HttpStatusCode.OK));
        Assert.Single(await client.ListDeliveriesAsync(aToB));
    }

    [Fact]
    public async Task TwoRunnersClaimingAtTheSameMomentGetTheQueuedDeploymentOnlyOnce()
    {
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "p", "a");
        await App.CreateStackAsync(org, "p", "b");
        var trigger = await CreateDeploymentHookAsync(client, org, "a", "p/b", "update_succeeded");
        await client.PostEventAsync(StackEvents(org, "p", "a"), Event("update_succeeded"));
        await client.WaitForDeliveriesAsync(trigger, l => l.Count == 1 && l[0]!.AsText("status") == "succeeded");

        Task<HttpResponseMessage>[] claims;
        await using (var connection = await Database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            // Holds the deployment's row (PostgreSQL) or the write lock (SQLite) until both runners' claims wait for it (or have
            // passed it by), so they meet at the same row at the same moment however the machine schedules them.
            await connection.ExecuteAsync("UPDATE deployments SET updated_at = updated_at + 1 WHERE org_name = @org", new { org }, transaction);
            claims = [client.PostAsync($"/api/orgs/{org}/deployments/claim", null), client.PostAsync($"/api/orgs/{org}/deployments/claim", null)];
            await WaitUntilWaitingOrDoneAsync(claims);
            await transaction.CommitAsync();
        }

        // Whether the two waited for the row or passed it by, one runner in all gets the deployment, now or with a later claim.
        var answers = (await Task.WhenAll(claims)).Append(await client.PostAsync($"/api/orgs/{org}/deployments/claim", null)).ToList();
        var described = string.Join("; ", await Task.WhenAll(answers.Select(async a => $"{(int)a.StatusCode} {await a.Content.ReadAsStringAsync()}")));
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.OK) == 1 && answers.Count(a => a.StatusCode == HttpStatusCode.NoContent) == 2, described);
    }

    [Fact]
    public async Task ConcurrentRunnerClaimsHandEachQueuedDeploymentToExactlyOneRunner()
    {
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "p", "a");
        await App.CreateStackAsync(org, "p", "b");
        var trigger = await CreateDeploymentHookAsync(client, org, "a", "p/b", "update_succeeded");
        for (var i = 0; i < 3; i++)
        {
            await client.PostEventAsync(StackEvents(org, "p", "a"), Event("update_succeeded"));
        }

        await client.WaitForDeliveriesAsync(trigger, l => l.Count == 3 && l.All(d => d!.AsText("status") == "succeeded"));

        var claims = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await client.PostAsync($"/api/orgs/{org}/deployments/claim", null);
            return response.StatusCode == HttpStatusCode.OK ? (await response.Content.ReadFromJsonAsync<JsonObject>())!.AsText("id") : ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }));

        var ids = claims.Where(c => c.Length > 3).ToList();
        Assert.True(ids.Count == 3 && ids.Distinct().Count() == 3, $"claims: {string.Join(", ", claims)}");
        Assert.All(claims.Where(c => c.Length <= 3), c => Assert.Equal("204", c));
    }

    // ---------------------------------------------------------------- text

    [Fact]
    public async Task UnicodeAndEmojiSurviveTheRoundTripThroughStorage()
    {
        const string name = "Déploiements 🚀 — 日本語 ✓ Ωμέγα 𝄞";
        const string message = "Policy ✅ failed: “naïve” façade 🚫 中文 \"quoted\" back\\slash\ttab\nnewline\r\n𝄞 🏳️‍🌈 \u200b\ufeff end";
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/unicode", ReceiverResponse.Code(200, "réponse reçue ✓ 🎉"));
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        var created = await (await client.PostAsync(HookPlace.OfStack(org, "proj", "dev").BasePath, Json(new JsonObject
        {
            ["organizationName"] = org,
            ["name"] = "unicode",
            ["displayName"] = name,
            ["payloadUrl"] = receiver.Url("/unicode"),
            ["active"] = true,
            ["secret"] = "sécret 🔑",
        }))).AssertJsonAsync(HttpStatusCode.Created);
        var hook = HookPlace.OfStack(org, "proj", "dev").Hook("unicode");
        Assert.Equal(name, created.AsText("displayName"));
        Assert.Equal(name, (await GetJsonAsync(client, hook)).AsText("displayName"));

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("policy_violation_mandatory", new
        {
            message,
            policyPack = "pack-🔒",
            policyName = "naïve-policy",
            resourceUrn = "urn:pulumi:dev::proj::aws:s3/bucket:Bucket::bücket-🪣",
        }));
        var request = await receiver.WaitForAsync(r => r.Path == "/unicode", Patience);
        var payload = request.Json;
        Assert.Equal(message, payload.AsText("message"));
        Assert.Equal("pack-🔒", payload.AsText("policyPack"));
        Assert.Equal("naïve-policy", payload.AsText("policyName"));
        Assert.EndsWith("bücket-🪣", payload.AsText("resourceUrn"), StringComparison.Ordinal);
        Assert.Equal(Hmac("sécret 🔑", request.Body), request.Header("Pulumi-Webhook-Signature"));

        var delivery = await client.WaitForDeliveryAsync(hook, request.WebhookId!, d => d.AsText("status") == "succeeded");
        Assert.Equal(request.BodyText, delivery.AsText("payload"));
        Assert.Equal("réponse reçue ✓ 🎉", delivery.AsText("responseBody"));
        Assert.Equal("réponse reçue ✓ 🎉", delivery["attemptHistory"]![0]!.AsText("responseBody"));

        // Text PostgreSQL cannot store (U+0000) is refused or stored, on either engine, and never a 500.
        using var nul = await client.PostAsync(StackEvents(org, "proj", "dev"), Json("""{"event": "policy_violation_advisory", "message": "NUL:\u0000 and \u0001"}"""));
        Assert.True(nul.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.BadRequest, $"{(int)nul.StatusCode}: {await nul.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task AResponseBodyWithANulCharacterIsRecordedAndDoesNotStopTheQueue()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/nul", ReceiverResponse.Code(200, "before\0after"));
        using var client = App.Admin();
        var org = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/nul"));

        // PostgreSQL text cannot hold U+0000: both engines record it as U+FFFD, like any byte that is not UTF-8.
        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("succeeded", ping.AsText("status"));
        Assert.Equal("before\uFFFDafter", ping.AsText("responseBody"));

        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        var id = (await client.WaitForDeliveriesAsync(hook, l => l.Count == 2))[0]!.AsText("id");
        var delivery = await client.WaitForDeliveryAsync(hook, id, d => d.AsText("status") != "pending");
        Assert.Equal("succeeded", delivery.AsText("status"));
        Assert.Equal(ping.AsText("responseBody"), delivery.AsText("responseBody"));
        // The attempt was recorded, so the queue goes on: the next delivery is sent and recorded too.
        receiver.Respond("/nul", ReceiverResponse.Ok);
        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_failed"));
        var next = (await client.WaitForDeliveriesAsync(hook, l => l.Count == 3))[0]!.AsText("id");
        Assert.Equal("succeeded", (await client.WaitForDeliveryAsync(hook, next, d => d.AsText("status") != "pending")).AsText("status"));
    }

    // ---------------------------------------------------------------- SQL dialect

    [Fact]
    public async Task NullQueryParametersMatchEverythingAndGivenOnesFilter()
    {
        using var client = App.Admin();
        var first = await App.CreateOrganizationAsync();
        var second = await App.CreateOrganizationAsync();
        await App.CreateStackAsync(first, "proj", "one");
        await App.CreateStackAsync(second, "proj", "two");

        async Task<List<string>> StacksAsync(string query) =>
            (await (await client.GetAsync("/api/user/stacks" + query)).AssertJsonAsync(HttpStatusCode.OK))["stacks"]!.AsArray()
                .Select(s => $"{s!.AsText("orgName")}/{s!.AsText("stackName")}").ToList();

        var all = await StacksAsync(""); // @organization IS NULL
        Assert.Contains($"{first}/one", all);
        Assert.Contains($"{second}/two", all);
        Assert.Equal([$"{first}/one"], await StacksAsync($"?organization={first}"));
        Assert.Equal([$"{second}/two"], await StacksAsync($"?organization={second}"));
        Assert.Empty(await StacksAsync("?organization=nobody-here"));

        // The same style in a query of the engine's own: a null text parameter, a null number, and a given one.
        await using var connection = await Database.OpenAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM stacks WHERE (@org IS NULL OR org_name = @org) AND (@version IS NULL OR version = @version) AND org_name = @first",
            new { org = (string?)null, version = (long?)null, first }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM stacks WHERE (@org IS NULL OR org_name = @org) AND (@version IS NULL OR version = @version)",
            new { org = first, version = (long?)42 }));
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// Returns once each of <paramref name="requests"/> either waits in the database for a lock the test holds or has been answered.
    /// SQLite shows no waiting statements, and needs none: its one writer takes them one at a time in any order.
    /// </summary>
    protected virtual Task WaitUntilWaitingOrDoneAsync(IReadOnlyCollection<Task> requests) => Task.CompletedTask;

    /// <summary>
    /// Sends <paramref name="count"/> copies of a request while the test's own transaction holds an uncommitted row with the key they
    /// will all want (<paramref name="holdSql"/>), waits until every one of them waits for it, then rolls it back: the requests meet at
    /// that key at the same moment, however the machine schedules them. (SQLite: the transaction holds the one write lock instead.)
    /// </summary>
    private async Task<(int Status, string Body)[]> RaceOnAKeyAsync(
        string holdSql, object holdArgs, Func<Task<HttpResponseMessage>> send, int count = 3)
    {
        var responses = new Task<HttpResponseMessage>[count];
        await using (var connection = await Database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(holdSql, holdArgs, transaction);
            for (var i = 0; i < count; i++)
            {
                responses[i] = send();
            }

            await WaitUntilWaitingOrDoneAsync(responses);
            await transaction.RollbackAsync();
        }

        return await Task.WhenAll(responses.Select(async pending =>
        {
            using var response = await pending;
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }));
    }

    private static void AssertOneWonAndTheRestConflicted((int Status, string Body)[] answers, int success)
    {
        var described = string.Join("\n", answers.Select(a => $"{a.Status} {a.Body}"));
        Assert.True(answers.Count(a => a.Status == success) == 1 && answers.Count(a => a.Status == 409) == answers.Length - 1, described);
    }

    /// <summary>A fresh app on the same engine (its own database), for tests that need settings of their own; configure it before use.</summary>
    protected static TApp NewApp() => new();

    private static JsonObject HookBody(string org, string? name)
    {
        var body = new JsonObject
        {
            ["organizationName"] = org,
            ["displayName"] = "concurrent",
            ["payloadUrl"] = "https://example.com/hook",
            ["active"] = true,
        };
        if (name is not null)
        {
            body["name"] = name;
        }

        return body;
    }

    private static async Task<JsonObject> GetJsonAsync(HttpClient client, string path) =>
        await (await client.GetAsync(path)).AssertJsonAsync(HttpStatusCode.OK);

    private static async Task<RecordedRequest> PingAndReceiveAsync(HttpClient client, string hook, Receiver receiver, string path)
    {
        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("succeeded", ping.AsText("status"));
        return await receiver.WaitForAsync(r => r.Path == path && r.WebhookId == ping.AsText("id"), Patience);
    }

    private static async Task<string> CreateDeploymentHookAsync(HttpClient client, string org, string stack, string target, string filter)
    {
        var created = await (await client.PostAsJsonAsync($"/api/stacks/{org}/p/{stack}/hooks", new
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

    private static async Task WaitForDeploymentEventAsync(Receiver receiver, string stack, string status)
    {
        var request = await receiver.WaitForAsync(
            r => r.Path == "/deployments" && r.Json["stackName"]?.GetValue<string>() == stack && r.Json["status"]?.GetValue<string>() == status,
            Patience);
        Assert.Equal("deployment", request.WebhookKind);
    }

    /// <summary>Rows of <paramref name="table"/> whose <paramref name="column"/> is one of <paramref name="values"/> (an array parameter on either engine).</summary>
    private async Task<long> CountAsync(string table, string column, string[] values, StackHooksApp? other = null)
    {
        var database = (other ?? App).Services.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(
            $"SELECT COUNT(*) FROM {table} WHERE {database.Sql($"{column} IN @values", $"{column} = ANY(@values)")}", new { values });
    }

    private static string Sha256(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Hmac(string secret, byte[] body) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
