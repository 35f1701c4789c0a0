// The StackHooks benchmark harness. Run it with ./bench/run.sh (builds server and harness in Release, installs wrk).
// It starts StackHooks servers as child processes, drives them over HTTP, receives their deliveries in a Kestrel
// receiver inside this process, prints the figures and writes them to docs/BENCHMARKS.md. It asserts nothing.
using System.Diagnostics;
using StackHooks.Bench;

Options? options;
Sizes sizes;
try
{
    options = Options.Parse(args);
    sizes = options?.Apply(options.Quick ? Sizes.Quick : Sizes.Full) ?? Sizes.Full;
}
catch (Exception exception) when (exception is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(exception.Message);
    options = null;
    sizes = Sizes.Full;
}

if (options is null)
{
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

if (!File.Exists(options.ServerDll))
{
    Console.Error.WriteLine($"The server is not built: {options.ServerDll} (run ./bench/run.sh, or dotnet build -c Release src/StackHooks).");
    return 2;
}

using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(options.Quick ? 6 : 20)); // a hard ceiling on the whole run
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => ServerProcess.KillAllStarted();

var machine = Machine.Current();
var tempRoot = Directory.CreateTempSubdirectory("stackhooks-bench-").FullName;
var results = new RunResults();
var started = Stopwatch.GetTimestamp();
results.LoadAverageAtStart = CpuMeter.LoadAverage();
Bench.Say($"StackHooks benchmark{(options.Quick ? " (quick smoke run)" : "")}: server {options.ServerDll}");
Bench.Say($"machine: {machine}");
Bench.Say($"temporary data: {tempRoot}");

await using (var receiver = await Receiver.StartAsync(Pacer.Capacity))
{
    Bench.Say($"receiver: {receiver.Url}");
    await receiver.WarmUpAsync(5_000, cancel.Token);
    var bench = new Bench(options.ServerDll, tempRoot, receiver, sizes, options.Wrk, options.ServerSettings, options.Postgres) { Keep = options.Keep };
    var phases = new (string Name, Func<Task> Run)[]
    {
        ("events", async () => results.Events = await bench.EventsPerSecondAsync(cancel.Token)),
        ("drain1", async () => results.DrainOne = await bench.DrainAsync(1, sizes.DrainOneEvents, cancel.Token)),
        ("wrk", async () => results.Wrk = await bench.WrkAsync(cancel.Token)),
        ("drain10", async () => results.DrainTen = await bench.DrainAsync(10, sizes.DrainTenEvents, cancel.Token)),
        ("latency", async () => results.Latency = await bench.LatencyAsync(cancel.Token)),
        ("million", async () => results.Million = await bench.MillionAsync(cancel.Token)),
    };
    foreach (var (name, run) in phases)
    {
        if (options.Only is { } only && !only.Contains(name))
        {
            continue;
        }

        if (cancel.IsCancellationRequested)
        {
            results.Failures.Add($"{name}: not run (cancelled)");
            continue;
        }

        try
        {
            results.QuietBefore[name] = await bench.WaitQuietAsync(cancel.Token);
            await run();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            var message = cancel.IsCancellationRequested ? "cancelled" : $"{exception.GetType().Name}: {exception.Message}";
            results.Failures.Add($"{name}: {message}");
            Bench.Say($"phase {name} FAILED: {exception}");
        }
        finally
        {
            ServerProcess.KillAllStarted(); // a phase that failed midway may have left its server running
        }
    }
}

results.TotalSeconds = Measure.SecondsSince(started);
results.LoadAverageAtEnd = CpuMeter.LoadAverage();
if (options.Keep)
{
    Bench.Say($"kept {tempRoot} (--keep): remove it when done");
}
else
{
    try
    {
        Directory.Delete(tempRoot, recursive: true);
    }
    catch (IOException exception)
    {
        Bench.Say($"could not remove {tempRoot}: {exception.Message}");
    }
}

var markdown = Report.Render(results, sizes, machine, options.Command, options.Commit, options.ServerSettings, DateTimeOffset.UtcNow, options.Quick);
Console.WriteLine();
Console.WriteLine(markdown);
if (options.Write)
{
    Report.Write(options.Output, markdown);
    Bench.Say($"results written to {options.Output}");
}

return results.Failures.Count == 0 ? 0 : 1;

/// <summary>Command-line options.</summary>
internal sealed record Options(
    string ServerDll, string Output, bool Quick, bool Write, bool Keep, string Wrk, string Command, string Commit, HashSet<string>? Only,
    Dictionary<string, int> Overrides, Dictionary<string, string> ServerSettings, string? Postgres = null)
{
    public const string Usage =
        """
        usage: StackHooks.Bench [--server PATH/StackHooks.dll] [--out docs/BENCHMARKS.md] [--quick] [--write|--no-write]
                                [--keep] [--wrk PATH] [--only events,drain1,wrk,drain10,latency,million]
                                [--command TEXT] [--commit TEXT] [--set NAME=N ...] [--server-setting KEY=VALUE ...]
                                [--postgres CONNECTION-STRING]
          --quick     small sizes: checks the harness works; does not write the report unless --write
          --keep      keep the temporary data directories (server logs) instead of deleting them
          --only      run only these phases (the report then shows only their figures)
          --set       change a size, e.g. --set LoadClients=1 --set FillClients=32 --set MillionEvents=50000
                      --set MillionHooks=20 (counts) or --set MillionWatch=30 (seconds); see Sizes in Bench.cs
          --postgres  cluster mode: each phase on a fresh database created (and dropped) on this PostgreSQL server,
                      e.g. --postgres "Host=127.0.0.1;Port=55433;Username=postgres;Database=postgres"; with
                      --set DrainNodes=2 the drain phases run two dispatching nodes
          --server-setting  configuration for every server started, e.g.
                      --server-setting StackHooks:Delivery:MaxConcurrencyPerWebhook=16 (recorded in the report)
        """;

    public static Options? Parse(string[] args)
    {
        var root = FindRoot();
        string server = Path.Combine(root, "src/StackHooks/bin/Release/net10.0/StackHooks.dll"), output = Path.Combine(root, "docs/BENCHMARKS.md");
        string wrk = "wrk", command = "./bench/run.sh", commit = "unknown";
        bool quick = false, keep = false;
        bool? write = null;
        HashSet<string>? only = null;
        string? postgres = null;
        var overrides = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--server": server = Path.GetFullPath(Value()); break;
                case "--out": output = Path.GetFullPath(Value()); break;
                case "--quick": quick = true; break;
                case "--write": write = true; break;
                case "--no-write": write = false; break;
                case "--keep": keep = true; break;
                case "--wrk": wrk = Value(); break;
                case "--command": command = Value(); break;
                case "--commit": commit = Value(); break;
                case "--set":
                    var pair = Value().Split('=', 2);
                    overrides[pair[0]] = pair.Length == 2 ? int.Parse(pair[1], System.Globalization.CultureInfo.InvariantCulture) : throw new ArgumentException("--set NAME=N");
                    break;
                case "--server-setting":
                    var setting = Value().Split('=', 2);
                    settings[setting[0]] = setting.Length == 2 ? setting[1] : throw new ArgumentException("--server-setting KEY=VALUE");
                    break;
                case "--postgres": postgres = Value(); break;
                case "--only": only = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; break;
                default: return null;
            }
        }

        if (postgres is not null)
        {
            settings["StackHooks:Database:Provider"] = "postgres"; // recorded in the report; each phase's connection string is the harness's
        }

        return new Options(server, output, quick, write ?? !quick, keep, wrk, command, commit, only, overrides, settings, postgres);
    }

    /// <summary>The sizes with the --set overrides applied (TimeSpan sizes are given in seconds).</summary>
    public Sizes Apply(Sizes sizes)
    {
        foreach (var (name, value) in Overrides)
        {
            var property = typeof(Sizes).GetProperty(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase)
                ?? throw new ArgumentException($"--set: no size named {name}");
            object boxed = property.PropertyType == typeof(TimeSpan) ? TimeSpan.FromSeconds(value)
                : property.PropertyType == typeof(long) ? (object)(long)value : (object)value;
            sizes = sizes with { };
            property.SetValue(sizes, boxed);
        }

        return sizes;
    }

    /// <summary>The repository root: the nearest directory upwards holding StackHooks.slnx (else the current one).</summary>
    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "StackHooks.slnx")))
            {
                return directory.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}
