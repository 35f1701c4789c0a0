using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackHooks.Delivery;
using StackHooks.Tests.Support;

namespace StackHooks.Tests.Delivery;

/// <summary>Where a webhook lives: its API base path and the fields its create body must carry.</summary>
public sealed record HookPlace(string Org, string BasePath, string? Project = null, string? Stack = null, string? Env = null)
{
    public static HookPlace OfOrganization(string org) => new(org, $"/api/orgs/{org}/hooks");

    public static HookPlace OfStack(string org, string project, string stack) =>
        new(org, $"/api/stacks/{org}/{project}/{stack}/hooks", project, stack);

    public static HookPlace OfEnvironment(string org, string project, string env) =>
        new(org, $"/api/esc/environments/{org}/{project}/{env}/hooks", project, Env: env);

    public string Hook(string name) => $"{BasePath}/{name}";
}

/// <summary>Shared steps of the delivery tests: creating hooks, recording events, and polling the deliveries API with a deadline.</summary>
public static class DeliveryTestKit
{
    /// <summary>How long any wait for the server or a receiver may take before the test fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>Creates a webhook (asserting 201) and returns the path of the hook, e.g. <c>/api/orgs/o/hooks/1a2b3c4d</c>.</summary>
    public static async Task<string> CreateHookAsync(
        this HttpClient client, HookPlace place, string payloadUrl, bool active = true, string[]? filters = null, string[]? groups = null,
        string? secret = null, string? name = null)
    {
        var body = new JsonObject
        {
            ["organizationName"] = place.Org,
            ["displayName"] = "delivery test " + (name ?? payloadUrl),
            ["payloadUrl"] = payloadUrl,
            ["active"] = active,
            ["filters"] = new JsonArray([.. (filters ?? []).Select(f => (JsonNode)f)]),
            ["groups"] = new JsonArray([.. (groups ?? []).Select(g => (JsonNode)g)]),
        };
        if (place.Project is not null)
        {
            body["projectName"] = place.Project;
        }

        if (place.Stack is not null)
        {
            body["stackName"] = place.Stack;
        }

        if (place.Env is not null)
        {
            body["envName"] = place.Env;
        }

        if (secret is not null)
        {
            body["secret"] = secret;
        }

        if (name is not null)
        {
            body["name"] = name;
        }

        var created = await (await client.PostAsync(place.BasePath, Json(body))).AssertJsonAsync(HttpStatusCode.Created);
        return place.Hook(created["name"]!.GetValue<string>());
    }

    /// <summary>Records an event through the events API and returns the 202 body <c>{"id","deliveries"}</c>.</summary>
    public static async Task<JsonObject> PostEventAsync(this HttpClient client, string eventsPath, JsonObject body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, eventsPath) { Content = Json(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await (await client.SendAsync(request)).AssertJsonAsync(HttpStatusCode.Accepted);
    }

    public static string StackEvents(string org, string project, string stack) => $"/api/stacks/{org}/{project}/{stack}/events";

    public static string EnvironmentEvents(string org, string project, string env) => $"/api/esc/environments/{org}/{project}/{env}/events";

    public static JsonObject Event(string name, object? fields = null)
    {
        var body = fields is null ? new JsonObject() : JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(fields))!.AsObject();
        body["event"] = name;
        return body;
    }

    /// <summary>The deliveries of a hook (GET …/deliveries with <paramref name="query"/>), asserting 200.</summary>
    public static async Task<JsonArray> ListDeliveriesAsync(this HttpClient client, string hookPath, string query = "") =>
        await (await client.GetAsync($"{hookPath}/deliveries{query}")).AssertJsonArrayAsync(HttpStatusCode.OK);

    /// <summary>One delivery with its attempt history, asserting 200.</summary>
    public static async Task<JsonObject> GetDeliveryAsync(this HttpClient client, string hookPath, string id) =>
        await (await client.GetAsync($"{hookPath}/deliveries/{id}")).AssertJsonAsync(HttpStatusCode.OK);

    /// <summary>Polls GET …/deliveries/{id} until <paramref name="condition"/> holds; fails with the last state seen after the deadline.</summary>
    public static async Task<JsonObject> WaitForDeliveryAsync(
        this HttpClient client, string hookPath, string id, Func<JsonObject, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? Patience);
        while (true)
        {
            var delivery = await client.GetDeliveryAsync(hookPath, id);
            if (condition(delivery))
            {
                return delivery;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Delivery {id} did not reach the expected state; last seen: {delivery.ToJsonString()}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Polls GET …/deliveries until <paramref name="condition"/> holds for the list; fails with the last list seen after the deadline.</summary>
    public static async Task<JsonArray> WaitForDeliveriesAsync(
        this HttpClient client, string hookPath, Func<JsonArray, bool> condition, TimeSpan? timeout = null, string query = "")
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? Patience);
        while (true)
        {
            var deliveries = await client.ListDeliveriesAsync(hookPath, query);
            if (condition(deliveries))
            {
                return deliveries;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"The deliveries of {hookPath} did not reach the expected state; last seen: {deliveries.ToJsonString()}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Waits for the hook's only delivery to exist and returns its id.</summary>
    public static async Task<string> SingleDeliveryIdAsync(this HttpClient client, string hookPath) =>
        (await client.WaitForDeliveriesAsync(hookPath, list => list.Count == 1))[0]!["id"]!.GetValue<string>();

    public static string AsText(this JsonNode node, string key) => node[key]!.GetValue<string>();

    public static int AsInt(this JsonNode node, string key) => node[key]!.GetValue<int>();

    public static long AsLong(this JsonNode node, string key) => node[key]!.GetValue<long>();

    /// <summary>A <c>Name: value\r\n</c> block as a dictionary (names compared ignoring case).</summary>
    public static Dictionary<string, string> ParseHeaderLines(string block) =>
        block.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(": ", 2))
            .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1] : "", StringComparer.OrdinalIgnoreCase);
}

/// <summary>The app with quick automatic retries (0.2 s, 0.2 s): three attempts within a second.</summary>
public sealed class QuickRetryApp : StackHooksApp
{
    public QuickRetryApp()
    {
        With("StackHooks:Delivery:RetrySchedule:0", "00:00:00.2");
        With("StackHooks:Delivery:RetrySchedule:1", "00:00:00.2");
    }
}

/// <summary>
/// The app on a <see cref="FakeTimeProvider"/>: the dispatcher, the sender's timestamps and the maintenance see only the
/// time the test sets. Starts at a whole second far from today, so a timestamp taken from the real clock stands out.
/// </summary>
public sealed class FakeTimeApp : StackHooksApp
{
    public static readonly DateTimeOffset Start = new(2031, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public FakeTimeProvider Time { get; } = new(Start);

    /// <summary>
    /// Moves the clock on and wakes the dispatcher, as a committed event does. Without the wake-up a dispatcher that had read
    /// the clock just before the move would sleep on a timer set from the new time and never fire, since the clock stands
    /// still afterwards. (That the dispatcher wakes by itself when a retry falls due is covered on the real clock.)
    /// </summary>
    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        Services.GetRequiredService<DeliverySignal>().Wake();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
    }
}
