using System.Diagnostics;
using System.Globalization;

namespace StackHooks.Bench;

/// <summary>The sizes of one run; <see cref="Quick"/> is a smoke test of the harness itself, not a measurement.</summary>
public sealed record Sizes(
    int LoadClients,
    TimeSpan LoadWarmUp,
    TimeSpan LoadDuration,
    int FillClients,
    long DrainOneEvents,
    long DrainTenEvents,
    TimeSpan DrainWindow,
    TimeSpan DrainWarmUp,
    int LatencyRate,
    TimeSpan LatencyWarmUp,
    TimeSpan LatencyDuration,
    long MillionEvents,
    int MillionHooks,
    TimeSpan MillionFillLimit,
    TimeSpan MillionWatch,
    TimeSpan WrkDuration,
    TimeSpan QuietWait)
{
    /// <summary>Dispatching servers in the drain phases: more than one only makes sense on PostgreSQL (cluster mode).</summary>
    public int DrainNodes { get; init; } = 1;

    public static readonly Sizes Full = new(
        LoadClients: 8, LoadWarmUp: TimeSpan.FromSeconds(2), LoadDuration: TimeSpan.FromSeconds(10), FillClients: 4,
        DrainOneEvents: 80_000, DrainTenEvents: 8_000, DrainWindow: TimeSpan.FromSeconds(20),
        DrainWarmUp: TimeSpan.FromSeconds(3), LatencyRate: 500, LatencyWarmUp: TimeSpan.FromSeconds(5),
        LatencyDuration: TimeSpan.FromSeconds(10), MillionEvents: 100_000, MillionHooks: 10, MillionFillLimit: TimeSpan.FromSeconds(240),
        MillionWatch: TimeSpan.FromSeconds(60), WrkDuration: TimeSpan.FromSeconds(10), QuietWait: TimeSpan.FromSeconds(10));

    public static readonly Sizes Quick = new(
        LoadClients: 8, LoadWarmUp: TimeSpan.FromSeconds(1), LoadDuration: TimeSpan.FromSeconds(3), FillClients: 4,
        DrainOneEvents: 2_000, DrainTenEvents: 300, DrainWindow: TimeSpan.FromSeconds(30),
        DrainWarmUp: TimeSpan.FromSeconds(0.1), LatencyRate: 500, LatencyWarmUp: TimeSpan.FromSeconds(1),
        LatencyDuration: TimeSpan.FromSeconds(3), MillionEvents: 5_000, MillionHooks: 10, MillionFillLimit: TimeSpan.FromSeconds(60),
        MillionWatch: TimeSpan.FromSeconds(10), WrkDuration: TimeSpan.FromSeconds(3), QuietWait: TimeSpan.FromSeconds(3));
}

/// <summary>
/// Runs the phases. Each phase gets a fresh data directory under the run's temporary root, starts its own server
/// processes and stops them (by PID) before the next phase starts, so phases do not share state or CPU.
/// </summary>
/// With a PostgreSQL connection string, every phase gets its own fresh database on that server instead of a SQLite file.
public sealed class Bench(
    string serverDll, string tempRoot, Receiver receiver, Sizes sizes, string wrk, IReadOnlyDictionary<string, string> serverSettings,
    string? postgres = null)
{
    private const string Token = "pul-bench0000000000000000000000000000000000";
    public const double StallThresholdMs = 100;

    private int phaseNumber;
    private readonly string secretsKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static void Say(string message) =>
        Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    private string NewDataDirectory(string name)
    {
        var path = Path.Combine(tempRoot, $"{++phaseNumber:00}-{name}");
        Directory.CreateDirectory(path);
        if (postgres is not null)
        {
            PostgresAdmin($"DROP DATABASE IF EXISTS {DatabaseName(path)} WITH (FORCE)");
            PostgresAdmin($"CREATE DATABASE {DatabaseName(path)}");
        }

        return path;
    }

    /// <summary>The phase's PostgreSQL database, named after its data directory.</summary>
    private static string DatabaseName(string dataDirectory) =>
        "stackhooks_bench_" + new string([.. Path.GetFileName(dataDirectory).Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);

    private void PostgresAdmin(string sql)
    {
        using var connection = new Npgsql.NpgsqlConnection(postgres);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private IReadOnlyDictionary<string, string> SettingsFor(string dataDirectory)
    {
        if (postgres is null)
        {
            return serverSettings;
        }

        var settings = new Dictionary<string, string>(serverSettings, StringComparer.Ordinal)
        {
            ["StackHooks:Database:Provider"] = "postgres",
            ["StackHooks:SecretsKey"] = secretsKey, // every node of a cluster shares it
            ["StackHooks:Database:ConnectionString"] = new Npgsql.NpgsqlConnectionStringBuilder(postgres) { Database = DatabaseName(dataDirectory) }.ConnectionString,
        };
        return settings;
    }

    /// <summary>Keep each phase's data directory (database, server logs) instead of deleting it after the phase.</summary>
    public bool Keep { get; init; }

    private void Remove(string directory)
    {
        if (Keep)
        {
            return;
        }

        try
        {
            if (postgres is not null)
            {
                PostgresAdmin($"DROP DATABASE IF EXISTS {DatabaseName(directory)} WITH (FORCE)");
            }

            Directory.Delete(directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or Npgsql.NpgsqlException)
        {
            Say($"could not remove {directory}: {exception.Message}");
        }
    }

    private Task<ServerProcess> StartServerAsync(string dataDirectory, bool dispatch, CancellationToken ct) =>
        ServerProcess.StartAsync(serverDll, dataDirectory, dispatch, Token, SettingsFor(dataDirectory), ct);

    /// <summary>
    /// Before a phase: waits (at most <see cref="Sizes.QuietWait"/>) for other processes on the machine to use less than
    /// a third of a core, so that the phase does not start in the middle of someone else's build.
    /// </summary>
    public async Task<Quiet> WaitQuietAsync(CancellationToken ct)
    {
        var (waited, others) = await CpuMeter.WaitQuietAsync(sizes.QuietWait, 0.33, ct);
        if (waited > 1.5)
        {
            Say(FormattableString.Invariant($"waited {waited:0} s for a quiet machine; other processes use {others:0.00} cores"));
        }

        return new Quiet(waited, others);
    }

    // ---------------------------------------------------------------- 1. events accepted per second

    public async Task<EventsPhase> EventsPerSecondAsync(CancellationToken ct)
    {
        var directory = NewDataDirectory("events");
        try
        {
            await using var server = await StartServerAsync(directory, dispatch: false, ct);
            using var api = new Api(server.Url, Token);
            await api.SetUpAsync(receiver.Url, hooks: 1, ct);
            var versions = new VersionCounter();
            Say($"events/s: warm-up {sizes.LoadWarmUp.TotalSeconds:0} s, then {sizes.LoadClients} clients for {sizes.LoadDuration.TotalSeconds:0} s");
            await RunClientsAsync(api, sizes.LoadClients, versions, long.MaxValue, sizes.LoadWarmUp, errorLimit: 10_000, ct);

            await using var sampler = new MemorySampler(server, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
            var cpu = new CpuMeter(server);
            var load = await RunClientsAsync(api, sizes.LoadClients, versions, long.MaxValue, sizes.LoadDuration, errorLimit: 10_000, ct);
            var usage = Usage(server, sampler, cpu);
            Say($"events/s: {load.PerSecond:0} ({load.Accepted} accepted, {load.Errors} errors, p50 {load.P50Ms:0.0} ms, p99 {load.P99Ms:0.0} ms); " +
                $"{Describe(usage)}");
            return new EventsPhase(sizes.LoadClients, load, usage);
        }
        finally
        {
            Remove(directory);
        }
    }

    // ---------------------------------------------------------------- 2. deliveries per second

    public async Task<DrainPhase> DrainAsync(int hooks, long events, CancellationToken ct)
    {
        var directory = NewDataDirectory($"drain-{hooks}");
        try
        {
            // Fill: an API-only server records the events and queues the deliveries without sending them.
            LoadOutcome fill;
            ServerUsage fillUsage;
            await using (var server = await StartServerAsync(directory, dispatch: false, ct))
            {
                using var api = new Api(server.Url, Token);
                await api.SetUpAsync(receiver.Url, hooks, ct);
                Say($"drain {hooks} hook(s): queueing {events:N0} events × {hooks} hook(s) with {sizes.FillClients} clients");
                await using var sampler = new MemorySampler(server, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
                var cpu = new CpuMeter(server);
                fill = await RunClientsAsync(api, sizes.FillClients, new VersionCounter(), events, TimeSpan.FromSeconds(240), errorLimit: 100, ct);
                fillUsage = Usage(server, sampler, cpu);
                Say($"drain {hooks} hook(s): queued {fill.Accepted:N0} events in {fill.Seconds:0.0} s ({fill.PerSecond:0} events/s, {fill.Errors} errors)");
            }

            // Drain: the same data directory with dispatch on; the clock runs from the first arrival to the last one, or
            // to the end of the window when the queue is not empty by then (the rate is then that of a full queue).
            var expected = fill.Accepted * hooks;
            receiver.Recording = hooks == 1;
            receiver.Reset(expected);
            await using (var server = await StartServerAsync(directory, dispatch: true, ct))
            {
                // Cluster mode: more dispatching nodes on the same database (figures of CPU and memory are the first node's).
                var others = new List<ServerProcess>();
                for (var node = 1; node < sizes.DrainNodes; node++)
                {
                    others.Add(await StartServerAsync(directory, dispatch: true, ct));
                }

                await using var stopOthers = new DisposeAll(others);
                await using var sampler = new MemorySampler(server, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
                var cpu = new CpuMeter(server);
                while (receiver.Requests == 0 && Measure.SecondsSince(server.ReadyAt) < 10 && !server.HasExited)
                {
                    await Task.Delay(5, ct);
                }

                var deadline = (receiver.FirstArrival != 0 ? receiver.FirstArrival : Stopwatch.GetTimestamp())
                    + (long)(sizes.DrainWindow.TotalSeconds * Stopwatch.Frequency);
                while (receiver.Requests < expected && Stopwatch.GetTimestamp() < deadline && !server.HasExited)
                {
                    await Task.Delay(20, ct);
                }

                var now = Stopwatch.GetTimestamp();
                var received = receiver.Requests;
                var complete = received >= expected;
                var end = complete && receiver.TargetReachedAt != 0 ? receiver.TargetReachedAt : now;
                var first = receiver.FirstArrival != 0 ? receiver.FirstArrival : server.ReadyAt;
                var drainSeconds = Measure.Seconds(first, end);
                var usage = Usage(server, sampler, cpu);
                var (steady, steadyReceived) = receiver.RateAfter(received, sizes.DrainWarmUp);
                var phase = new DrainPhase(hooks, fill, fillUsage, expected, complete ? expected : received, receiver.Duplicates, complete,
                    drainSeconds, Measure.Seconds(server.LaunchedAt, end), Measure.Seconds(server.LaunchedAt, server.ReadyAt), usage,
                    receiver.FindStalls(expected, StallThresholdMs), sizes.DrainWindow.TotalSeconds, sizes.DrainWarmUp.TotalSeconds, steady, steadyReceived);
                Say($"drain {hooks} hook(s): {phase.Received:N0}/{expected:N0} deliveries {(complete ? "(all)" : "(window over, queue not empty)")} in " +
                    $"{drainSeconds:0.00} s = {phase.PerSecond:0} deliveries/s, after the {sizes.DrainWarmUp.TotalSeconds:0.#} s warm-up {steady:0}/s " +
                    $"({steadyReceived:N0} deliveries) (from process launch {phase.FromLaunchSeconds:0.00} s); {Describe(usage)}; {Describe(phase.Stalls)}");
                if (server.HasExited)
                {
                    Say($"server exited early; log tail:\n{server.Tail()}");
                }

                return phase;
            }
        }
        finally
        {
            receiver.Recording = false;
            Remove(directory);
        }
    }

    // ---------------------------------------------------------------- 3. latency at a steady rate

    public async Task<LatencyPhase> LatencyAsync(CancellationToken ct)
    {
        var directory = NewDataDirectory("latency");
        try
        {
            await using var server = await StartServerAsync(directory, dispatch: true, ct);
            using var api = new Api(server.Url, Token);
            await api.SetUpAsync(receiver.Url, hooks: 1, ct);
            receiver.Recording = true;
            receiver.Reset();

            var rate = sizes.LatencyRate;
            var warmUp = (long)(rate * sizes.LatencyWarmUp.TotalSeconds);
            var measured = (long)(rate * sizes.LatencyDuration.TotalSeconds);
            Say($"latency: warm-up {warmUp} events, then {measured} events at {rate}/s");
            var pacer = new Pacer(api, rate);
            await pacer.RunAsync(firstVersion: 1, count: warmUp, ct);
            await WaitForArrivalsAsync(pacer, 1, warmUp, TimeSpan.FromSeconds(10), ct);

            await using var sampler = new MemorySampler(server, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
            var cpu = new CpuMeter(server);
            var first = warmUp + 1;
            await pacer.RunAsync(first, measured, ct);
            var usage = Usage(server, sampler, cpu);
            await WaitForArrivalsAsync(pacer, first, measured, TimeSpan.FromSeconds(10), ct);

            var fromAccepted = new List<double>();
            var fromSend = new List<double>();
            long accepted = 0, arrived = 0, missing = 0, early = 0;
            var origin = pacer.SentAt(first);
            var csv = new System.Text.StringBuilder("version,sent_ms,accepted_ms,arrived_ms\n");
            for (var v = first; v < first + measured; v++)
            {
                var acceptedAt = pacer.AcceptedAt(v);
                if (Keep)
                {
                    static string At(long origin, long t) => t == 0 ? "" : Measure.Milliseconds(origin, t).ToString("0.000", CultureInfo.InvariantCulture);
                    csv.Append(CultureInfo.InvariantCulture, $"{v},{At(origin, pacer.SentAt(v))},{At(origin, acceptedAt)},{At(origin, receiver.ArrivalOf(v))}\n");
                }

                if (acceptedAt == 0)
                {
                    continue;
                }

                accepted++;
                var arrival = receiver.ArrivalOf(v);
                if (arrival == 0)
                {
                    missing++;
                    fromAccepted.Add(double.PositiveInfinity);
                    fromSend.Add(double.PositiveInfinity);
                    continue;
                }

                arrived++;
                if (arrival < acceptedAt)
                {
                    early++; // the delivery reached the receiver before the harness had read the 202
                }

                fromAccepted.Add(Math.Max(0, Measure.Milliseconds(acceptedAt, arrival)));
                fromSend.Add(Measure.Milliseconds(pacer.SentAt(v), arrival));
            }

            if (Keep)
            {
                var path = Path.Combine(directory, "latency.csv");
                await File.WriteAllTextAsync(path, csv.ToString(), ct);
                Say($"latency: per-event times in {path}");
            }

            fromAccepted.Sort();
            fromSend.Sort();
            var phase = new LatencyPhase(rate, sizes.LatencyDuration.TotalSeconds, pacer.Sent, accepted, pacer.Errors, arrived, missing, early,
                pacer.AchievedRate, pacer.LatenessP99Ms, Measure.Percentile(fromAccepted, 50), Measure.Percentile(fromAccepted, 99),
                fromAccepted.Count > 0 ? fromAccepted[^1] : double.NaN, Measure.Percentile(fromSend, 50), Measure.Percentile(fromSend, 99),
                pacer.PostP99Ms, pacer.FirstError, usage);
            Say($"latency: achieved {phase.AchievedRate:0} events/s, {phase.Errors} errors, {missing} not arrived; 202→receiver p50 " +
                $"{phase.P50Ms:0.0} ms p99 {phase.P99Ms:0.0} ms max {phase.MaxMs:0.0} ms; {Describe(usage)}");
            return phase;
        }
        finally
        {
            receiver.Recording = false;
            Remove(directory);
        }
    }

    private async Task WaitForArrivalsAsync(Pacer pacer, long first, long count, TimeSpan limit, CancellationToken ct)
    {
        var deadline = Measure.After(limit);
        var next = first;
        while (next < first + count && Stopwatch.GetTimestamp() < deadline)
        {
            if (pacer.AcceptedAt(next) == 0 || receiver.ArrivalOf(next) != 0)
            {
                next++;
                continue;
            }

            await Task.Delay(10, ct);
        }
    }

    // ---------------------------------------------------------------- 4. a million queued deliveries

    public async Task<MillionPhase> MillionAsync(CancellationToken ct)
    {
        var directory = NewDataDirectory("million");
        try
        {
            var hooks = sizes.MillionHooks;
            LoadOutcome fill;
            ServerUsage fillUsage;
            await using (var server = await StartServerAsync(directory, dispatch: false, ct))
            {
                using var api = new Api(server.Url, Token);
                await api.SetUpAsync(receiver.Url, hooks, ct);
                Say($"1M queued: queueing {sizes.MillionEvents:N0} events × {hooks} hooks with {sizes.FillClients} clients (at most {sizes.MillionFillLimit.TotalSeconds:0} s)");
                await using var sampler = new MemorySampler(server, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
                var cpu = new CpuMeter(server);
                var progress = new VersionCounter();
                var fillTask = RunClientsAsync(api, sizes.FillClients, progress, sizes.MillionEvents, sizes.MillionFillLimit, errorLimit: 100, ct);
                while (await Task.WhenAny(fillTask, Task.Delay(TimeSpan.FromSeconds(15), ct)) != fillTask)
                {
                    Say($"1M queued: ~{Math.Min(progress.Current, sizes.MillionEvents):N0} events sent, server RSS {server.Memory().RssMb:0} MB");
                }

                fill = await fillTask;
                fillUsage = Usage(server, sampler, cpu);
                Say($"1M queued: {fill.Accepted * hooks:N0} deliveries queued in {fill.Seconds:0.0} s ({fill.PerSecond:0} events/s = " +
                    $"{fill.PerSecond * hooks:0} deliveries/s, {fill.Errors} errors); {Describe(fillUsage)}");
            }

            var databaseMb = new DirectoryInfo(directory).EnumerateFiles("stackhooks.db*").Sum(f => f.Length) / (1024.0 * 1024.0);
            receiver.Recording = false;
            receiver.Reset();
            await using (var server = await StartServerAsync(directory, dispatch: true, ct))
            {
                var startup = Measure.Seconds(server.LaunchedAt, server.ReadyAt);
                await using var sampler = new MemorySampler(server, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
                var cpu = new CpuMeter(server);
                Say($"1M queued: dispatching server healthy after {startup:0.0} s; watching it for {sizes.MillionWatch.TotalSeconds:0} s");
                var end = Measure.After(sizes.MillionWatch);
                var nextReport = Measure.After(TimeSpan.FromSeconds(15));
                while (Stopwatch.GetTimestamp() < end && !server.HasExited)
                {
                    await Task.Delay(100, ct);
                    if (Stopwatch.GetTimestamp() >= nextReport)
                    {
                        var memory = server.Memory();
                        Say($"1M queued: {receiver.Requests:N0} delivered, RSS {memory.RssMb:0} MB, VmHWM {memory.HwmMb:0} MB");
                        nextReport = Measure.After(TimeSpan.FromSeconds(15));
                    }
                }

                var watched = Measure.Seconds(server.ReadyAt, Stopwatch.GetTimestamp());
                var drained = receiver.Requests;
                var rssEnd = server.Memory().RssMb;
                var usage = Usage(server, sampler, cpu);
                var phase = new MillionPhase(hooks, fill, fill.Accepted * hooks, fillUsage, databaseMb, startup, watched, drained, rssEnd,
                    sampler.Timeline, usage, receiver.FindStalls(drained, StallThresholdMs));
                Say($"1M queued: drained {drained:N0} in {watched:0} s ({phase.DrainPerSecond:0}/s); {Describe(usage)}, RSS at end {rssEnd:0} MB; " +
                    $"database {databaseMb:0} MB; {Describe(phase.Stalls)}");
                if (server.HasExited)
                {
                    Say($"server exited early:\n{server.Tail()}");
                }

                return phase;
            }
        }
        finally
        {
            Remove(directory);
        }
    }

    // ---------------------------------------------------------------- 5. wrk against the same receiver

    public async Task<WrkPhase> WrkAsync(CancellationToken ct)
    {
        var delivered = receiver.SampleBody;
        var body = delivered ?? "{\"version\":1}"u8.ToArray();
        if (delivered is null)
        {
            Say("wrk: no delivery has reached the receiver yet, so a stand-in body is posted instead of a delivered one");
        }

        var directory = NewDataDirectory("wrk");
        try
        {
            var script = Path.Combine(directory, "post.lua");
            await File.WriteAllTextAsync(script, WrkScript(System.Text.Encoding.UTF8.GetString(body)), ct);
            receiver.Recording = false;
            receiver.Reset();
            var seconds = (int)sizes.WrkDuration.TotalSeconds;
            Say($"wrk: -t2 -c32 -d{seconds}s POST of the {body.Length}-byte delivery body to {receiver.Url}");
            var info = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "-t2", "-c32", $"-d{seconds}s", "-s", script, receiver.Url })
            {
                info.ArgumentList.Add(argument);
            }

            var cpu = new CpuMeter(null);
            using var process = Process.Start(info) ?? throw new InvalidOperationException("wrk did not start");
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var limit = new CancellationTokenSource(sizes.WrkDuration + TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(); // by this process's own PID
                await process.WaitForExitAsync(CancellationToken.None);
                return new WrkPhase(0, receiver.Requests, "", "wrk did not finish in time", cpu.Read(), body.Length, delivered is not null);
            }

            var output = await stdout;
            var errors = await stderr;
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec:", StringComparison.Ordinal));
            var rps = line is null ? 0 : double.Parse(line["Requests/sec:".Length..].Trim(), CultureInfo.InvariantCulture);
            var non2xx = output.Split('\n').FirstOrDefault(l => l.Contains("Non-2xx", StringComparison.Ordinal));
            var error = process.ExitCode != 0 || line is null ? $"wrk exit {process.ExitCode}: {errors.Trim()}" : non2xx?.Trim();
            var reading = cpu.Read();
            Say($"wrk: {rps:0} requests/s (receiver counted {receiver.Requests:N0}){(error is null ? "" : $"; {error}")}; receiver " +
                FormattableString.Invariant($"{reading.Harness:0.00} cores, wrk and others {reading.Others:0.00} cores"));
            return new WrkPhase(rps, receiver.Requests, output.Trim(), error, reading, body.Length, delivered is not null);
        }
        finally
        {
            Remove(directory);
        }
    }

    internal static string WrkScript(string body)
    {
        var level = 1;
        while (body.Contains("]" + new string('=', level) + "]", StringComparison.Ordinal))
        {
            level++;
        }

        var eq = new string('=', level);
        return $"""
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            wrk.body = [{eq}[{body}]{eq}]
            """ + "\n";
    }

    // ---------------------------------------------------------------- helpers

    public static string Describe(Stalls stalls) => stalls.Count == 0
        ? FormattableString.Invariant($"no pause ≥ {StallThresholdMs:0} ms between arrivals")
        : FormattableString.Invariant(
            $"{stalls.Count} pauses ≥ {StallThresholdMs:0} ms between arrivals, {stalls.TotalSeconds:0.0} s in all (median {stalls.MedianMs:0} ms, longest {stalls.LongestMs:0} ms)");

    private static ServerUsage Usage(ServerProcess server, MemorySampler sampler, CpuMeter cpu)
    {
        var memory = server.Memory();
        return new ServerUsage(memory.HwmMb, Math.Max(sampler.MaxRssMb, memory.RssMb), cpu.Read(), server.LoggedErrors, server.FirstLoggedError);
    }

    public static string Describe(ServerUsage usage) => FormattableString.Invariant(
        $"CPU server {usage.Cpu.Server:0.00} / harness {usage.Cpu.Harness:0.00} / other processes {usage.Cpu.Others:0.00} cores; server VmHWM {usage.HwmMb:0} MB")
        + (usage.LoggedErrors == 0 ? "" : FormattableString.Invariant($"; the server LOGGED {usage.LoggedErrors} ERRORS (first: {usage.FirstLoggedError})"));

    /// <summary>
    /// <paramref name="clients"/> loops posting events with versions from <paramref name="versions"/> until
    /// <paramref name="maxVersion"/> is passed, <paramref name="duration"/> is over, or <paramref name="errorLimit"/> errors.
    /// </summary>
    private static async Task<LoadOutcome> RunClientsAsync(
        Api api, int clients, VersionCounter versions, long maxVersion, TimeSpan duration, int errorLimit, CancellationToken ct)
    {
        long accepted = 0, errors = 0;
        string? firstError = null;
        var latencies = new List<double>[clients];
        var start = Stopwatch.GetTimestamp();
        var stopAt = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            var mine = latencies[i] = new List<double>(4096);
            while (Stopwatch.GetTimestamp() < stopAt && Interlocked.Read(ref errors) < errorLimit && !ct.IsCancellationRequested)
            {
                var version = versions.Next();
                if (version > maxVersion)
                {
                    break;
                }

                var result = await api.PostEventAsync(version, ct);
                mine.Add(Measure.Milliseconds(result.StartedAt, result.FinishedAt));
                if (result.Accepted)
                {
                    Interlocked.Increment(ref accepted);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, result.Error ?? $"HTTP {result.Status}", null);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        var seconds = Measure.SecondsSince(start);
        var all = latencies.SelectMany(l => l).ToList();
        all.Sort();
        return new LoadOutcome(accepted, errors, seconds, Measure.Percentile(all, 50), Measure.Percentile(all, 99), firstError);
    }
}

/// <summary>Stops the extra nodes of a phase.</summary>
internal sealed class DisposeAll(List<ServerProcess> servers) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>Hands out event versions 1, 2, 3… to concurrent clients.</summary>
public sealed class VersionCounter
{
    private long current;

    public long Current => Interlocked.Read(ref current);

    public long Next() => Interlocked.Increment(ref current);
}
