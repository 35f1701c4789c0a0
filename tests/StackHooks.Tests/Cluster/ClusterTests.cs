using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using StackHooks.Tests.Support;

namespace StackHooks.Tests.Cluster;

/// <summary>
/// Runs alone, after the parallel test classes: three real servers and thousands of deliveries need the machine's two cores to
/// themselves, and the timing-sensitive tests of other classes should not share it with them.
/// </summary>
[CollectionDefinition(nameof(ClusterRunsAlone), DisableParallelization = true)]
public sealed class ClusterRunsAlone;

/// <summary>
/// Cluster mode (SPEC §9): three real server processes on one PostgreSQL database with one secrets key. Any node serves the API,
/// all of them deliver, each delivery is sent by exactly one of them in normal operation, and a node killed with SIGKILL loses
/// nothing: the deliveries it held are sent by the others once its leases expire (at least once, so a few may arrive twice).
/// </summary>
[Collection(nameof(ClusterRunsAlone))]
public sealed partial class ClusterTests : IAsyncLifetime
{
    private const string Org = "cluster";
    private const int Hooks = 5;
    private static readonly string[] Stacks = ["s0", "s1", "s2"];

    private readonly string connectionString = PostgresStackHooksApp.CreateDatabase();
    private readonly List<string> dataDirectories = [];
    private readonly List<ServerProcess> nodes = [];
    private Receiver receiver = null!;

    public async ValueTask InitializeAsync() => receiver = await Receiver.StartAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }

        await receiver.DisposeAsync();
        PostgresStackHooksApp.DropDatabase(connectionString);
        foreach (var directory in dataDirectories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task EveryDeliveryIsSentExactlyOnceWhileThreeNodesShareTheWork()
    {
        const int events = 3000;
        var (a, _, _) = await StartThreeNodesAsync();
        await SetUpAsync(a);

        var started = DateTimeOffset.UtcNow;
        var posted = await PostEventsAsync(events, i => nodes[i % 3]);
        var postedIn = DateTimeOffset.UtcNow - started;
        await WaitUntilAsync(() => receiver.Requests.Count >= events * Hooks, TimeSpan.FromSeconds(90),
            () => $"{receiver.Requests.Count} of {events * Hooks} deliveries arrived");
        await WaitUntilQueueIsEmptyAsync(TimeSpan.FromSeconds(30));
        var deliveredIn = DateTimeOffset.UtcNow - started;

        var requests = receiver.Requests;
        var twice = requests.GroupBy(r => (r.Path, r.WebhookId)).Where(g => g.Count() > 1).Select(g => $"{g.Key.Path} {g.Key.WebhookId} ×{g.Count()}").ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} deliveries were sent more than once, e.g. {string.Join("; ", twice.Take(10))}");
        Assert.Equal(events * Hooks, requests.Count);
        AssertEveryEventReachedEveryHookOnce(requests, posted);
        await using (var connection = await OpenAsync())
        {
            Assert.Equal(events * Hooks, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'"));
            Assert.Equal(events * Hooks, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM delivery_attempts WHERE attempt = 1"));
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM delivery_attempts WHERE attempt > 1"));
            var stored = (await connection.QueryAsync<string>("SELECT id FROM deliveries")).ToHashSet();
            Assert.True(stored.SetEquals(requests.Select(r => r.WebhookId!)), "the receiver did not get exactly the stored deliveries");
        }

        // Every node sent some of them, and together they sent each once.
        var perNode = await Task.WhenAll(nodes.Select(SucceededAttemptsAsync));
        Log($"{events} events posted round-robin in {postedIn.TotalSeconds:0.0} s, {events * Hooks} deliveries done after {deliveredIn.TotalSeconds:0.0} s; " +
            $"sent per node: {string.Join(", ", perNode)}");
        Assert.Equal(events * Hooks, perNode.Sum());
        Assert.True(perNode.Count(n => n > 0) >= 2, $"only one node delivered: {string.Join(", ", perNode)}");
    }

    [Fact]
    public async Task ANodeKilledMidRunLosesNoDeliveryItsLeasesExpireAndTheOthersSendThem()
    {
        const int events = 1500;
        // 15 ms per request, and every hundredth takes 1.5 s: a delivery that is certainly still in flight when the node
        // sending it is killed, which is what the kill below waits for.
        var slow = new System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset>();
        for (var k = 0; k < Hooks; k++)
        {
            receiver.Respond($"/hook-{k}", (request, n) =>
            {
                if (n % 100 != 50)
                {
                    return new ReceiverResponse(Delay: TimeSpan.FromMilliseconds(15));
                }

                slow[request.WebhookId!] = DateTimeOffset.UtcNow;
                return new ReceiverResponse(Delay: TimeSpan.FromSeconds(1.5));
            });
        }

        var (a, b, victim) = await StartThreeNodesAsync(new Dictionary<string, string>
        {
            ["StackHooks:Delivery:LeaseDuration"] = "00:00:05",
            ["StackHooks:Delivery:Timeout"] = "00:00:02",
        });
        await SetUpAsync(a);

        // Events go in through the two nodes that stay; the third only delivers, until it is killed in the middle of a slow attempt.
        var posting = PostEventsAsync(events, i => i % 2 == 0 ? a : b);
        await WaitUntilAsync(() => receiver.Requests.Count >= events, TimeSpan.FromSeconds(60), () => $"only {receiver.Requests.Count} deliveries arrived");
        var sentByVictim = await SucceededAttemptsAsync(victim);
        Assert.True(sentByVictim > 0, "the node to be killed never delivered anything");
        var leasedByVictim = $"%:{victim.Id}:%";
        string[] orphaned;
        await using (var connection = await OpenAsync())
        {
            await WaitUntilAsync(
                () =>
                {
                    var sending = connection.Query<string>("SELECT id FROM deliveries WHERE status = 'pending' AND lease_owner LIKE @leasedByVictim", new { leasedByVictim });
                    return sending.Any(id => slow.TryGetValue(id, out var since) && DateTimeOffset.UtcNow - since < TimeSpan.FromSeconds(1));
                },
                TimeSpan.FromSeconds(60), () => "the node to be killed never sent one of the slow deliveries");
            await victim.KillAsync();
            orphaned = (await connection.QueryAsync<string>(
                "SELECT id FROM deliveries WHERE status = 'pending' AND lease_owner LIKE @leasedByVictim", new { leasedByVictim })).ToArray();
        }

        var killedAt = DateTimeOffset.UtcNow;
        var arrivedBeforeKill = receiver.Requests.Select(r => r.WebhookId).Distinct().Count();
        var posted = await posting;
        Assert.True(arrivedBeforeKill < events * Hooks, "everything was delivered before the kill; the test proved nothing");
        Assert.NotEmpty(orphaned);
        await WaitUntilAsync(() => receiver.Requests.Select(r => r.WebhookId).Distinct().Count() >= events * Hooks, TimeSpan.FromSeconds(90),
            () => $"{receiver.Requests.Select(r => r.WebhookId).Distinct().Count()} of {events * Hooks} deliveries arrived");
        await WaitUntilQueueIsEmptyAsync(TimeSpan.FromSeconds(30));

        var requests = receiver.Requests;
        AssertEveryEventReachedEveryHookAtLeastOnce(requests, posted);
        var duplicates = requests.GroupBy(r => r.WebhookId).Where(g => g.Count() > 1).ToList();
        var perNode = new[] { await SucceededAttemptsAsync(a), await SucceededAttemptsAsync(b) };
        Log($"killed node {victim.Id} after it sent {sentByVictim}, when {arrivedBeforeKill} of {events * Hooks} deliveries had arrived; " +
            $"it left {orphaned.Length} leased deliveries behind; the survivors sent {string.Join(", ", perNode)}; " +
            $"deliveries sent twice because of the kill: {duplicates.Count}");
        await using (var connection = await OpenAsync())
        {
            Assert.Equal(events * Hooks, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'"));
        }

        // What the dead node held was sent again by another node once its lease ran out, and only that could be sent twice.
        foreach (var id in orphaned)
        {
            var last = requests.Last(r => r.WebhookId == id);
            Assert.True(last.ArrivedAt >= killedAt + TimeSpan.FromSeconds(3), $"{id} was sent again at {last.ArrivedAt:O}, before the dead node's lease could expire (killed at {killedAt:O})");
        }

        Assert.All(duplicates, d => Assert.Contains(d.Key, orphaned));
        Assert.Contains(duplicates, d => slow.ContainsKey(d.Key!)); // the slow attempt cut short by the kill was sent again
    }

    [Fact]
    public async Task ThreeNodesStartedAtTheSameMomentOnAnEmptyDatabaseAllBecomeHealthy()
    {
        var (a, b, c) = await StartThreeNodesAsync();

        using (var client = new HttpClient())
        {
            foreach (var node in nodes)
            {
                var health = await client.GetAsync(new Uri(node.BaseAddress, "/healthz"));
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
        }

        // The schema was migrated once: each script is journaled once, not once per node.
        await using (var connection = await OpenAsync())
        {
            var scripts = (await connection.QueryAsync<string>("SELECT scriptname FROM schemaversions")).ToList();
            Assert.NotEmpty(scripts);
            Assert.Equal(scripts.Count, scripts.Distinct().Count());
            Assert.All(scripts, s => Assert.Contains(".Migrations.postgres.", s, StringComparison.Ordinal));
        }

        // One database behind all three: what one node writes, the others read, and the secret one encrypted the others use.
        using var first = a.Admin();
        (await first.PostAsJsonAsync("/api/orgs", new { name = Org })).EnsureSuccessStatusCode();
        (await first.PostAsJsonAsync($"/api/orgs/{Org}/hooks", new
        {
            organizationName = Org,
            name = "shared",
            displayName = "shared",
            payloadUrl = receiver.Url("/shared"),
            active = true,
            secret = "one-key-for-all",
        })).EnsureSuccessStatusCode();
        foreach (var node in new[] { b, c })
        {
            using var other = node.Admin();
            Assert.Equal(HttpStatusCode.OK, (await other.GetAsync($"/api/orgs/{Org}/hooks/shared")).StatusCode);
            (await other.PostAsync($"/api/orgs/{Org}/hooks/shared/ping", null)).EnsureSuccessStatusCode();
        }

        var pings = await receiver.WaitForCountAsync(2, TimeSpan.FromSeconds(20), r => r.Path == "/shared");
        Assert.All(pings, p => Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("one-key-for-all"u8, p.Body)), p.Header("Pulumi-Webhook-Signature")));
    }

    [Fact]
    public async Task NodesBootstrappingAnEmptyDatabaseAtTheSameMomentCreateOneSiteAdministratorAndAllStart()
    {
        // A first node migrates the schema; then its site administrator goes again, so the next nodes find no user.
        var settings = NodeSettings();
        var first = await ServerProcess.StartAsync(NewDataDirectory(), settings);
        nodes.Add(first);
        await first.TerminateAsync(TimeSpan.FromSeconds(20));
        await using var connection = await OpenAsync();
        await connection.ExecuteAsync("DELETE FROM access_tokens; DELETE FROM users");

        // Two nodes start while the test holds an uncommitted 'admin' of its own: both see no user and both want to create
        // theirs. Once both wait for the test's row, it is rolled back and they meet at the same moment.
        Task<ServerProcess>[] starting;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO users (id, github_login, name, email, avatar_url, site_admin, created_at) VALUES ('held', 'admin', 'held', '', '', FALSE, 0)",
                transaction: transaction);
            starting = [ServerProcess.StartAsync(NewDataDirectory(), settings), ServerProcess.StartAsync(NewDataDirectory(), settings)];
            await using var watcher = await OpenAsync();
            await WaitUntilAsync(
                () => starting.Any(s => s.IsCompleted)
                    || watcher.ExecuteScalar<long>("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") >= 2,
                TimeSpan.FromSeconds(60), () => "the starting nodes never waited for the test's row");
            await transaction.RollbackAsync();
        }

        try
        {
            nodes.AddRange(await Task.WhenAll(starting));
        }
        finally
        {
            nodes.AddRange(starting.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result).Except(nodes));
        }

        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE github_login = 'admin'"));
        foreach (var node in nodes.Skip(1))
        {
            using var admin = node.Admin();
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/user")).StatusCode);
        }
    }

    [Fact]
    public async Task StartingInPostgresModeWithoutASecretsKeyFailsWithAMessageNamingIt()
    {
        var settings = new Dictionary<string, string>
        {
            ["StackHooks:Database:Provider"] = "postgres",
            ["StackHooks:Database:ConnectionString"] = connectionString,
        };

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(NewDataDirectory(), settings));

        var exit = ExitCode().Match(failure.Message);
        Assert.True(exit.Success, failure.Message);
        Assert.NotEqual(0, int.Parse(exit.Groups["code"].Value, CultureInfo.InvariantCulture));
        Assert.Contains("StackHooks:SecretsKey", failure.Message, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>What every node of the test cluster is started with: the shared database and secrets key.</summary>
    private Dictionary<string, string> NodeSettings(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["StackHooks:Database:Provider"] = "postgres",
            ["StackHooks:Database:ConnectionString"] = connectionString,
            ["StackHooks:SecretsKey"] = PostgresStackHooksApp.SecretsKey,
            ["StackHooks:Delivery:AllowPrivateNetworks"] = "true",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return settings;
    }

    private async Task<(ServerProcess A, ServerProcess B, ServerProcess C)> StartThreeNodesAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = NodeSettings(extra);

        // All at once, on whatever the database holds: the first to take the migration lock migrates, the others wait for it.
        var started = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ServerProcess.StartAsync(NewDataDirectory(), settings)));
        nodes.AddRange(started);
        return (started[0], started[1], started[2]);
    }

    private string NewDataDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("stackhooks-cluster-").FullName;
        dataDirectories.Add(directory);
        return directory;
    }

    /// <summary>An organization with three stacks and <see cref="Hooks"/> organization hooks on the receiver, each at its own path.</summary>
    private async Task SetUpAsync(ServerProcess node)
    {
        using var admin = node.Admin();
        (await admin.PostAsJsonAsync("/api/orgs", new { name = Org })).EnsureSuccessStatusCode();
        for (var k = 0; k < Hooks; k++)
        {
            (await admin.PostAsJsonAsync($"/api/orgs/{Org}/hooks", new
            {
                organizationName = Org,
                name = $"hook-{k}",
                displayName = $"hook {k}",
                payloadUrl = receiver.Url($"/hook-{k}"),
                active = true,
                filters = new[] { "update_succeeded" },
            })).EnsureSuccessStatusCode();
        }

        foreach (var stack in Stacks)
        {
            (await admin.PostAsJsonAsync($"/api/stacks/{Org}/p", new { stackName = stack })).EnsureSuccessStatusCode();
        }
    }

    /// <summary>
    /// Posts update_succeeded events (concurrency 8), event <c>i</c> to stack <c>i / 3 % 3</c> through <paramref name="nodeFor"/>(i),
    /// each answered 202 with one delivery per hook. Returns how many updates each stack got (their numbers are 1…n).
    /// </summary>
    private static async Task<Dictionary<string, int>> PostEventsAsync(int events, Func<int, ServerProcess> nodeFor)
    {
        var clients = new Dictionary<ServerProcess, HttpClient>();
        foreach (var node in Enumerable.Range(0, events).Select(nodeFor).Distinct())
        {
            clients[node] = node.Admin();
        }

        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                var response = await clients[nodeFor(i)].PostAsJsonAsync($"/api/stacks/{Org}/p/{Stacks[i / 3 % 3]}/events", new { @event = "update_succeeded" }, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"event {i}: {(int)response.StatusCode} {body}");
                Assert.Contains($"\"deliveries\":{Hooks}", body, StringComparison.Ordinal);
            });
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }

        return Enumerable.Range(0, events).GroupBy(i => Stacks[i / 3 % 3]).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Each hook got each update of each stack (numbered 1…n by the cluster) exactly once.</summary>
    private static void AssertEveryEventReachedEveryHookOnce(IReadOnlyList<RecordedRequest> requests, Dictionary<string, int> posted)
    {
        for (var k = 0; k < Hooks; k++)
        {
            var got = requests.Where(r => r.Path == $"/hook-{k}").Select(r => (r.Json["stackName"]!.GetValue<string>(), r.Json["version"]!.GetValue<long>())).Order().ToList();
            var expected = posted.SelectMany(p => Enumerable.Range(1, p.Value).Select(v => (p.Key, (long)v))).Order().ToList();
            Assert.True(expected.SequenceEqual(got), $"/hook-{k}: expected {expected.Count} updates numbered 1…n per stack, got {got.Count}, " +
                $"e.g. missing {string.Join(", ", expected.Except(got).Take(5))}");
        }
    }

    private static void AssertEveryEventReachedEveryHookAtLeastOnce(IReadOnlyList<RecordedRequest> requests, Dictionary<string, int> posted) =>
        AssertEveryEventReachedEveryHookOnce(requests.DistinctBy(r => r.WebhookId).ToList(), posted);

    /// <summary>Attempts this node recorded as succeeded, from its /metrics (stackhooks_deliveries_total{outcome="succeeded"}).</summary>
    private static async Task<long> SucceededAttemptsAsync(ServerProcess node)
    {
        using var client = new HttpClient { BaseAddress = node.BaseAddress };
        var text = await client.GetStringAsync("/metrics");
        var sample = SucceededSample().Match(text);
        return sample.Success ? (long)double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture) : 0;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Until no delivery is pending or leased: nothing more will be sent.</summary>
    private async Task WaitUntilQueueIsEmptyAsync(TimeSpan timeout)
    {
        await using var connection = await OpenAsync();
        await WaitUntilAsync(
            () => connection.ExecuteScalar<long>("SELECT COUNT(*) FROM deliveries WHERE status = 'pending' OR lease_owner IS NOT NULL") == 0,
            timeout, () => "deliveries are still pending");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Not within {timeout}: {describe()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50)); // poll interval, bounded by the deadline
        }
    }

    private static void Log(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [GeneratedRegex(@"^stackhooks_deliveries_total\{[^}]*outcome=""succeeded""[^}]*\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SucceededSample();

    [GeneratedRegex(@"The server exited with (?<code>-?\d+)")]
    private static partial Regex ExitCode();
}
