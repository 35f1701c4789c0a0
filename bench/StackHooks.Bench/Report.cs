using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace StackHooks.Bench;

/// <summary>The machine a run happened on, as the report states it.</summary>
public sealed record Machine(int Cores, double MemoryGiB, string Cpu, string Os, string Kernel, string Runtime)
{
    public static Machine Current()
    {
        var memoryKb = ReadField("/proc/meminfo", "MemTotal:")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return new Machine(
            Environment.ProcessorCount,
            memoryKb is null ? 0 : long.Parse(memoryKb, CultureInfo.InvariantCulture) / (1024.0 * 1024.0),
            ReadField("/proc/cpuinfo", "model name")?.TrimStart(':', ' ', '\t') ?? "unknown CPU",
            ReadField("/etc/os-release", "PRETTY_NAME=")?.Trim('"') ?? RuntimeInformation.OSDescription,
            ReadText("/proc/sys/kernel/osrelease") ?? "",
            RuntimeInformation.FrameworkDescription);
    }

    private static string? ReadField(string path, string prefix)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    public override string ToString() =>
        $"{Cores} cores (nproc) — {Cpu}; {MemoryGiB:0.0} GiB memory; {Os}, kernel {Kernel}; {Runtime}";
}

/// <summary>Renders a run as Markdown and puts it into docs/BENCHMARKS.md between the result markers.</summary>
public static class Report
{
    public const string Begin = "<!-- bench:results:begin (written by ./bench/run.sh; edits inside are overwritten) -->";
    public const string End = "<!-- bench:results:end -->";

    public const double RatioTarget = 0.25;
    public const double P99TargetMs = 50;
    public const double MemoryTargetMb = 300;

    public static string Render(
        RunResults r, Sizes sizes, Machine machine, string command, string commit, IReadOnlyDictionary<string, string> serverSettings, DateTimeOffset date, bool quick)
    {
        ArgumentNullException.ThrowIfNull(serverSettings);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(sizes);
        var md = new StringBuilder();
        md.AppendLine(Begin);
        md.AppendLine("## Latest results");
        md.AppendLine();
        if (quick)
        {
            md.AppendLine("> **Quick smoke run** (`--quick`): small sizes to check the harness works. These are not measurements.");
            md.AppendLine();
        }

        md.AppendLine(Inv($"- Command: `{command}` (whole run {r.TotalSeconds / 60:0.0} min)"));
        md.AppendLine(Inv($"- Date: {date:yyyy-MM-dd HH:mm} UTC"));
        md.AppendLine(Inv($"- Machine: {machine}; 1-minute load average {r.LoadAverageAtStart:0.00} at the start, {r.LoadAverageAtEnd:0.00} at the end"));
        var settings = serverSettings.Count == 0
            ? "server with the default settings of that commit (SQLite; see docs/OPERATIONS.md, \"Configuration\")"
            : "server settings changed from the defaults: " + string.Join(", ", serverSettings.Select(s => $"`{s.Key}={s.Value}`"));
        if (sizes.DrainNodes > 1)
        {
            settings += Inv($"; the drain phases ran {sizes.DrainNodes} dispatching nodes on one database");
        }

        md.AppendLine(Inv($"- Code: `{commit}`; server and harness built in Release; {settings}"));
        md.AppendLine();

        md.AppendLine("| Target | Measured | Target | Met |");
        md.AppendLine("|---|---|---|---|");
        var ratio = r.Ratio;
        md.AppendLine(Row("Deliveries/s to one webhook ÷ wrk requests/s (same receiver, same body)",
            ratio is { } q ? RatioCell(q, r.DrainOne!, r.Wrk!) : "not measured",
            Inv($"≥ {RatioTarget:0.00}"), ratio is { } q2 ? q2 >= RatioTarget : null));
        md.AppendLine(Row(Inv($"p99 latency, 202 → receiver, at a steady {sizes.LatencyRate} events/s"),
            r.Latency is { } l
                ? l.Missing == 0 ? Inv($"**{Ms(l.P99Ms)}** (p50 {Ms(l.P50Ms)})") : Inv($"**{l.Missing:N0} of {l.Accepted:N0} events never arrived** (within 10 s of the last send)")
                : "not measured",
            Inv($"< {P99TargetMs:0} ms"), r.Latency is { } l2 ? l2.P99Ms < P99TargetMs && l2.Missing == 0 : null));
        md.AppendLine(Row(Inv($"Server peak memory (VmHWM), {(r.Million?.Rows ?? sizes.MillionEvents * sizes.MillionHooks):N0} queued deliveries, filling and draining"),
            r.Million is { } m ? Inv($"**{Math.Max(m.Server.HwmMb, m.FillServer.HwmMb):0} MB**") : "not measured",
            Inv($"< {MemoryTargetMb:0} MB"), r.Million is { } m2 ? Math.Max(m2.Server.HwmMb, m2.FillServer.HwmMb) < MemoryTargetMb : null));
        md.AppendLine();

        md.AppendLine("### All figures");
        md.AppendLine();
        md.AppendLine("CPU is user+system time over the phase's wall time, in cores (2.00 = both cores): the server process, the harness");
        md.AppendLine("(load generator and receiver), and other processes on the machine (from `/proc/stat`; high values mean the figure");
        md.AppendLine("was taken on a busy machine and is not trustworthy). VmHWM is the server's peak resident set since its start, read");
        md.AppendLine("from `/proc/PID/status` at the end of the phase. Pauses are gaps of 100 ms or more between consecutive arrivals at the receiver.");
        md.AppendLine();
        md.AppendLine("| Phase | Figure | Value |");
        md.AppendLine("|---|---|---|");
        if (r.Events is { } e)
        {
            var p = Inv($"1. Events accepted ({e.Clients} clients, {e.Load.Seconds:0} s, 1 org hook, dispatch off)");
            md.AppendLine(Inv($"| {p} | **events accepted/s** | **{e.Load.PerSecond:0}** |"));
            md.AppendLine(Inv($"| | events accepted / errors | {e.Load.Accepted:N0} / {e.Load.Errors}{ErrorNote(e.Load.FirstError)} |"));
            md.AppendLine(Inv($"| | POST → 202 p50 / p99 | {Ms(e.Load.P50Ms)} / {Ms(e.Load.P99Ms)} |"));
            md.AppendLine($"| | CPU server / harness / other processes | {Cpu(e.Server.Cpu)} |");
            md.AppendLine(Inv($"| | server VmHWM / max VmRSS | {e.Server.HwmMb:0} MB / {e.Server.MaxRssMb:0} MB |"));
            Errors(md, e.Server);
        }

        foreach (var d in new[] { r.DrainOne, r.DrainTen }.OfType<DrainPhase>())
        {
            var p = Inv($"2. Deliveries to {(d.Hooks == 1 ? "one webhook" : $"{d.Hooks} webhooks")} ({d.Fill.Accepted:N0} events × {d.Hooks} queued, then drained)");
            var steady = d.WarmedUp ? Inv($"**{d.SteadyPerSecond:0}** ({d.SteadyReceived:N0} deliveries)") : "— (the drain was shorter than the warm-up)";
            md.AppendLine(Inv($"| {p} | **deliveries/s after the first {d.WarmUpSeconds:0.#} s** (warm-up) | {steady}{(d.Complete ? "" : Inv($" (within a {d.WindowSeconds:0} s window; the queue was not empty)"))} |"));
            md.AppendLine(Inv($"| | deliveries/s from the first arrival to the last (warm-up included) | {d.PerSecond:0} |"));
            md.AppendLine(Inv($"| | deliveries received / expected | {d.Received:N0} / {d.Expected:N0}{(d.Hooks == 1 ? Inv($", duplicates {d.Duplicates}") : "")} |"));
            md.AppendLine(Inv($"| | drain time; from process launch (start-up {d.StartupSeconds:0.0} s included) | {d.DrainSeconds:0.00} s; {d.FromLaunchSeconds:0.00} s |"));
            md.AppendLine($"| | CPU server / harness / other processes, draining | {Cpu(d.Server.Cpu)} |");
            md.AppendLine($"| | pauses in the arrivals | {Bench.Describe(d.Stalls)} |");
            md.AppendLine(Inv($"| | server VmHWM draining / filling | {d.Server.HwmMb:0} MB / {d.FillServer.HwmMb:0} MB |"));
            Errors(md, d.FillServer, d.Server);
            md.AppendLine(Inv($"| | queue fill ({d.Fill.Accepted:N0} events, {d.Fill.Errors} errors) | {d.Fill.Seconds:0.0} s = {d.Fill.PerSecond:0} events/s, POST p99 {Ms(d.Fill.P99Ms)}{ErrorNote(d.Fill.FirstError)} |"));
        }

        if (r.Wrk is { } w)
        {
            md.AppendLine(Inv($"| 5. wrk `-t2 -c32 -d{sizes.WrkDuration.TotalSeconds:0}s`, same receiver, same body | **requests/s** | **{w.RequestsPerSecond:0}**{(w.Error is null ? "" : $" ({w.Error})")} |"));
            md.AppendLine(Inv($"| | requests counted by the receiver | {w.ReceiverCount:N0} |"));
            md.AppendLine(w.DeliveredBody
                ? Inv($"| | body | the {w.BodyBytes}-byte payload the server delivered in phase 2 |")
                : Inv($"| | body | **a {w.BodyBytes}-byte stand-in**: no delivery had reached the receiver |"));
            md.AppendLine(Inv($"| | CPU receiver (harness) / wrk and other processes | {w.Cpu.Harness:0.00} / {w.Cpu.Others:0.00} cores |"));
        }

        if (r.Latency is { } lat)
        {
            var p = Inv($"3. Latency at {lat.TargetRate} events/s for {lat.TargetSeconds:0} s (1 hook, dispatch on)");
            md.AppendLine(Inv($"| {p} | **202 → receiver p50 / p99 / max** | **{Ms(lat.P50Ms)} / {Ms(lat.P99Ms)}** / {Ms(lat.MaxMs)} |"));
            md.AppendLine(Inv($"| | POST sent → receiver p50 / p99 | {Ms(lat.FromSendP50Ms)} / {Ms(lat.FromSendP99Ms)} |"));
            md.AppendLine(Inv($"| | achieved send rate; schedule lateness p99 | {lat.AchievedRate:0.0} events/s; {Ms(lat.LatenessP99Ms)} |"));
            md.AppendLine(Inv($"| | sent / accepted / errors / arrived / not arrived | {lat.Sent:N0} / {lat.Accepted:N0} / {lat.Errors} / {lat.Arrived:N0} / {lat.Missing}{ErrorNote(lat.FirstError)} |"));
            md.AppendLine(Inv($"| | arrived before the harness read the 202 (counted as 0 ms) | {lat.ArrivedBefore202} |"));
            md.AppendLine(Inv($"| | POST → 202 p99 | {Ms(lat.PostP99Ms)} |"));
            md.AppendLine($"| | CPU server / harness / other processes, sending | {Cpu(lat.Server.Cpu)} |");
            md.AppendLine(Inv($"| | server VmHWM | {lat.Server.HwmMb:0} MB |"));
            Errors(md, lat.Server);
        }

        if (r.Million is { } mm)
        {
            var p = Inv($"4. {mm.Rows:N0} queued deliveries ({mm.Fill.Accepted:N0} events × {mm.Hooks} hooks)");
            md.AppendLine(Inv($"| {p} | **server VmHWM, draining** (max VmRSS sampled) | **{mm.Server.HwmMb:0} MB** ({mm.Server.MaxRssMb:0} MB) |"));
            md.AppendLine(Inv($"| | server VmHWM, filling | {mm.FillServer.HwmMb:0} MB |"));
            md.AppendLine(Inv($"| | fill time ({mm.Fill.Errors} errors) | {mm.Fill.Seconds:0.0} s = {mm.Fill.PerSecond:0} events/s = {mm.Fill.PerSecond * mm.Hooks:0} deliveries queued/s{ErrorNote(mm.Fill.FirstError)} |"));
            md.AppendLine(Inv($"| | database files after the fill | {mm.DatabaseMb:0} MB |"));
            md.AppendLine(Inv($"| | start-up of the dispatching server on the full queue | {mm.StartupSeconds:0.0} s |"));
            md.AppendLine(Inv($"| | drained in the {mm.WatchSeconds:0} s watch window | {mm.Drained:N0} ({mm.DrainPerSecond:0}/s) |"));
            md.AppendLine($"| | CPU server / harness / other processes, filling | {Cpu(mm.FillServer.Cpu)} |");
            md.AppendLine($"| | CPU server / harness / other processes, draining | {Cpu(mm.Server.Cpu)} |");
            md.AppendLine(Inv($"| | VmRSS at the end of the window | {mm.RssEndMb:0} MB |"));
            Errors(md, mm.FillServer, mm.Server);
            md.AppendLine($"| | pauses in the arrivals | {Bench.Describe(mm.Stalls)} |");
            md.AppendLine(Inv($"| | VmRSS while draining (s: MB) | {string.Join(", ", mm.Timeline.Select(t => Inv($"{t.Seconds:0}: {t.RssMb:0}")))} |"));
        }

        md.AppendLine();
        if (r.QuietBefore.Count > 0)
        {
            md.AppendLine("Before each phase the harness waited (up to " + Inv($"{sizes.QuietWait.TotalSeconds:0}") + " s) for other processes to use under 0.33 cores: " +
                string.Join("; ", r.QuietBefore.Select(q => Inv($"{q.Key} {q.Value.WaitedSeconds:0} s (then {q.Value.OtherCores:0.00} cores)"))) + ".");
            md.AppendLine();
        }

        if (r.Failures.Count > 0)
        {
            md.AppendLine("**Phases that failed:**");
            md.AppendLine();
            foreach (var failure in r.Failures)
            {
                md.AppendLine($"- {failure.ReplaceLineEndings(" ")}");
            }

            md.AppendLine();
        }

        md.AppendLine(End);
        return md.ToString();
    }

    /// <summary>Replaces the results between the markers, keeping the rest of the file; creates the file if needed.</summary>
    public static void Write(string path, string results)
    {
        string text;
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path);
            var begin = existing.IndexOf(Begin, StringComparison.Ordinal);
            var end = existing.IndexOf(End, StringComparison.Ordinal);
            text = begin >= 0 && end > begin
                ? string.Concat(existing.AsSpan(0, begin), results.TrimEnd('\n'), existing.AsSpan(end + End.Length))
                : existing.TrimEnd() + "\n\n" + results;
        }
        else
        {
            text = "# Benchmarks\n\n" + results + "\n## What was tried\n\n- (placeholder)\n";
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text);
    }

    /// <summary>The ratio, with the rates it divides, and the ratio the whole drain (warm-up included) would give.</summary>
    private static string RatioCell(double ratio, DrainPhase drain, WrkPhase wrk) =>
        Inv($"**{ratio:0.00#}** ({drain.MeasuredPerSecond:0} ÷ {wrk.RequestsPerSecond:0}; ") + (drain.WarmedUp
            ? Inv($"{drain.PerSecond / wrk.RequestsPerSecond:0.00#} counting the server's first {drain.WarmUpSeconds:0.#} s)")
            : "the drain was shorter than the warm-up)");

    private static string Row(string what, string measured, string target, bool? met) =>
        $"| {what} | {measured} | {target} | {(met switch { true => "✅ met", false => "❌ not met", null => "—" })} |";

    private static void Errors(StringBuilder md, params ServerUsage[] usages)
    {
        foreach (var usage in usages.Where(u => u.LoggedErrors > 0))
        {
            md.AppendLine(Inv($"| | **server logged errors** | {usage.LoggedErrors} (first: {usage.FirstLoggedError?.Replace('|', '/')}) |"));
        }
    }

    private static string Cpu(CpuReading cpu) => Inv($"{cpu.Server:0.00} / {cpu.Harness:0.00} / {cpu.Others:0.00} cores");

    private static string Ms(double ms) =>
        double.IsPositiveInfinity(ms) ? "∞ (not arrived)" : double.IsNaN(ms) ? "n/a" : ms < 10 ? Inv($"{ms:0.00} ms") : Inv($"{ms:0.0} ms");

    private static string ErrorNote(string? error) => error is null ? "" : $" (first: {error.Replace('|', '/').ReplaceLineEndings(" ")})";

    private static string Inv(FormattableString text) => FormattableString.Invariant(text);
}
