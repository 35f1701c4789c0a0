namespace StackHooks.Bench;

/// <summary>Server resources over a phase: peak resident set (VmHWM), highest sampled VmRSS, and CPU (server, harness, others).</summary>
public sealed record ServerUsage(double HwmMb, double MaxRssMb, CpuReading Cpu, int LoggedErrors, string? FirstLoggedError)
{
    /// <summary>Average cores busy in the server process (2.0 = both cores of this machine).</summary>
    public double Cores => Cpu.Server;
}

/// <summary>What a group of concurrent event posters achieved.</summary>
public sealed record LoadOutcome(long Accepted, long Errors, double Seconds, double P50Ms, double P99Ms, string? FirstError)
{
    public double PerSecond => Seconds > 0 ? Accepted / Seconds : 0;
}

public sealed record EventsPhase(int Clients, LoadOutcome Load, ServerUsage Server);

public sealed record DrainPhase(
    int Hooks,
    LoadOutcome Fill,
    ServerUsage FillServer,
    long Expected,
    long Received,
    long Duplicates,
    bool Complete,
    double DrainSeconds,
    double FromLaunchSeconds,
    double StartupSeconds,
    ServerUsage Server,
    Stalls Stalls,
    double WindowSeconds,
    double WarmUpSeconds,
    double SteadyPerSecond,
    long SteadyReceived)
{
    /// <summary>Deliveries received per second, from the first arrival to the arrival that completed the count (or the window's end).</summary>
    public double PerSecond => DrainSeconds > 0 ? Received / DrainSeconds : 0;

    /// <summary>Whether deliveries kept arriving after the warm-up, so that <see cref="SteadyPerSecond"/> was measured.</summary>
    public bool WarmedUp => SteadyPerSecond > 0;

    /// <summary>The rate after the warm-up when the drain lasted longer than the warm-up; the whole drain's rate otherwise.</summary>
    public double MeasuredPerSecond => WarmedUp ? SteadyPerSecond : PerSecond;
}

public sealed record LatencyPhase(
    int TargetRate,
    double TargetSeconds,
    long Sent,
    long Accepted,
    long Errors,
    long Arrived,
    long Missing,
    long ArrivedBefore202,
    double AchievedRate,
    double LatenessP99Ms,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    double FromSendP50Ms,
    double FromSendP99Ms,
    double PostP99Ms,
    string? FirstError,
    ServerUsage Server);

public sealed record MillionPhase(
    int Hooks,
    LoadOutcome Fill,
    long Rows,
    ServerUsage FillServer,
    double DatabaseMb,
    double StartupSeconds,
    double WatchSeconds,
    long Drained,
    double RssEndMb,
    IReadOnlyList<(double Seconds, double RssMb)> Timeline,
    ServerUsage Server,
    Stalls Stalls)
{
    public double DrainPerSecond => WatchSeconds > 0 ? Drained / WatchSeconds : 0;
}

public sealed record WrkPhase(double RequestsPerSecond, long ReceiverCount, string Summary, string? Error, CpuReading Cpu, int BodyBytes, bool DeliveredBody);

/// <summary>How quiet the machine was before a phase: seconds waited for other processes to calm down, and their load then.</summary>
public sealed record Quiet(double WaitedSeconds, double OtherCores);

/// <summary>Everything one run measured; a phase that failed is null and its error is in <see cref="Failures"/>.</summary>
public sealed class RunResults
{
    public EventsPhase? Events { get; set; }

    public DrainPhase? DrainOne { get; set; }

    public DrainPhase? DrainTen { get; set; }

    public LatencyPhase? Latency { get; set; }

    public MillionPhase? Million { get; set; }

    public WrkPhase? Wrk { get; set; }

    public List<string> Failures { get; } = [];

    /// <summary>Per phase name, how long the run waited for a quiet machine and the other processes' load when it started.</summary>
    public Dictionary<string, Quiet> QuietBefore { get; } = [];

    public double LoadAverageAtStart { get; set; }

    public double LoadAverageAtEnd { get; set; }

    public double TotalSeconds { get; set; }

    /// <summary>Deliveries/s to one webhook ÷ wrk requests/s against the same receiver.</summary>
    public double? Ratio => DrainOne is { } d && Wrk is { RequestsPerSecond: > 0 } w ? d.MeasuredPerSecond / w.RequestsPerSecond : null;
}
