using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Tests.Delivery;

/// <summary>
/// The real server as a child process: killed with SIGKILL mid-work it loses nothing; stopped with SIGTERM it finishes
/// what it is sending and sends nothing twice.
/// </summary>
public sealed class CrashAndShutdownTests : IAsyncLifetime
{
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("stackhooks-crash-").FullName;
    private Receiver receiver = null!;

    public async ValueTask InitializeAsync() => receiver = await Receiver.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await receiver.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task EveryEventReachesTheReceiverAfterTheServerIsKilledMidWayAndRestarted()
    {
        const int events = 1000;
        receiver.Respond("/slow", (_, _) => new ReceiverResponse(Delay: TimeSpan.FromMilliseconds(20)));
        var server = await ServerProcess.StartAsync(dataDirectory);
        try
        {
            var eventsPath = await SetUpAsync(server, receiver.Url("/slow"));
            using (var client = server.Admin())
            {
                await Parallel.ForEachAsync(Enumerable.Range(1, events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (version, ct) =>
                {
                    var response = await client.PostAsJsonAsync(eventsPath, new { @event = "update_succeeded", version }, ct);
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                });
            }

            await receiver.WaitForCountAsync(150, TimeSpan.FromSeconds(60), r => r.Path == "/slow");
            await server.KillAsync();
            var beforeKill = Versions().Count;
            Assert.True(beforeKill < events, $"all {events} were delivered before the kill; the test proved nothing");

            await server.DisposeAsync();
            server = await ServerProcess.StartAsync(dataDirectory);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (Versions().Distinct().Count() < events && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100)); // poll interval, bounded by the deadline
            }

            var received = Versions();
            var missing = Enumerable.Range(1, events).Except(received).ToList();
            var unfinished = "";
            if (missing.Count > 0)
            {
                using var admin = server.Admin();
                unfinished = await admin.GetStringAsync("/api/stacks/crash/p/dev/hooks/slow/deliveries?status=pending&limit=20")
                    + await admin.GetStringAsync("/api/stacks/crash/p/dev/hooks/slow/deliveries?status=failed&limit=20");
            }

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"delivered before the kill: {beforeKill}; received in all: {received.Count}; duplicates (at-least-once after the kill): {received.Count - received.Distinct().Count()}");
            Assert.True(missing.Count == 0, $"lost {missing.Count} events, e.g. {string.Join(", ", missing.Take(10))}; not succeeded: {unfinished}\n{server.Output}");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task OnSigtermInFlightAttemptsFinishAndNothingIsSentTwice()
    {
        var events = 2 * DeliveryDefaults.PerWebhook;
        receiver.Respond("/slow", (_, _) => new ReceiverResponse(Delay: TimeSpan.FromSeconds(1.5)));
        var server = await ServerProcess.StartAsync(dataDirectory);
        try
        {
            var eventsPath = await SetUpAsync(server, receiver.Url("/slow"));
            using (var client = server.Admin())
            {
                for (var version = 1; version <= events; version++)
                {
                    (await client.PostAsJsonAsync(eventsPath, new { @event = "update_succeeded", version })).EnsureSuccessStatusCode();
                }
            }

            // The per-webhook limit's worth are in flight, as many again wait.
            await receiver.WaitForCountAsync(DeliveryDefaults.PerWebhook, TimeSpan.FromSeconds(30), r => r.Path == "/slow");
            await server.TerminateAsync(TimeSpan.FromSeconds(20));
            Assert.True(server.HasExited);
            Assert.True(Versions().Count < events, "everything was sent before SIGTERM; the test proved nothing");

            await server.DisposeAsync();
            server = await ServerProcess.StartAsync(dataDirectory);
            await receiver.WaitForCountAsync(events, TimeSpan.FromSeconds(60), r => r.Path == "/slow");
            using var admin = server.Admin();
            var deliveries = await admin.GetFromJsonAsync<JsonArray>("/api/stacks/crash/p/dev/hooks/slow/deliveries?kind=stack_update");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (deliveries!.Any(d => d!["status"]!.GetValue<string>() != "succeeded") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100)); // poll interval, bounded by the deadline
                deliveries = await admin.GetFromJsonAsync<JsonArray>("/api/stacks/crash/p/dev/hooks/slow/deliveries?kind=stack_update");
            }

            Assert.All(deliveries!, d => Assert.Equal("succeeded", d!["status"]!.GetValue<string>()));
            Assert.All(deliveries!, d => Assert.Equal(1, d!["attempts"]!.GetValue<int>()));
            Assert.Equal(Enumerable.Range(1, events), Versions().Order());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private List<int> Versions() => receiver.On("/slow").Select(r => r.Json["version"]!.GetValue<int>()).ToList();

    private static async Task<string> SetUpAsync(ServerProcess server, string payloadUrl)
    {
        using var admin = server.Admin();
        (await admin.PostAsJsonAsync("/api/orgs", new { name = "crash" })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/stacks/crash/p", new { stackName = "dev" })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/stacks/crash/p/dev/hooks", new
        {
            organizationName = "crash",
            displayName = "slow receiver",
            payloadUrl,
            active = true,
            name = "slow",
            filters = new[] { "update_succeeded" },
        })).EnsureSuccessStatusCode();
        return "/api/stacks/crash/p/dev/events";
    }
}
