using System.Diagnostics;

namespace StackHooks.Bench;

/// <summary>Time and percentile helpers.</summary>
public static class Measure
{
    public static double Seconds(long fromTimestamp, long toTimestamp) => (toTimestamp - fromTimestamp) / (double)Stopwatch.Frequency;

    public static double Milliseconds(long fromTimestamp, long toTimestamp) => Seconds(fromTimestamp, toTimestamp) * 1000;

    public static double SecondsSince(long timestamp) => Seconds(timestamp, Stopwatch.GetTimestamp());

    public static long After(TimeSpan span) => Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Nearest-rank percentile of sorted values; NaN when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>
/// Samples a server's VmRSS every <c>interval</c> on a background task: the highest sample, and a coarse timeline.
/// VmHWM (the kernel's own peak) is read at the end, so nothing between samples is missed for the peak figure.
/// </summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly ServerProcess server;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private readonly List<(double Seconds, double RssMb)> timeline = [];
    private readonly TimeSpan timelineStep;
    private readonly long startedAt = Stopwatch.GetTimestamp();
    private long maxRssKb;

    public MemorySampler(ServerProcess server, TimeSpan interval, TimeSpan timelineStep)
    {
        this.server = server;
        this.timelineStep = timelineStep;
        loop = Task.Run(() => RunAsync(interval));
    }

    public double MaxRssMb => Interlocked.Read(ref maxRssKb) / 1024.0;

    public IReadOnlyList<(double Seconds, double RssMb)> Timeline
    {
        get
        {
            lock (timeline)
            {
                return [.. timeline];
            }
        }
    }

    private async Task RunAsync(TimeSpan interval)
    {
        var nextMark = 0.0;
        using var timer = new PeriodicTimer(interval);
        do
        {
            var sample = server.Memory();
            if (sample.RssKb > Interlocked.Read(ref maxRssKb))
            {
                Interlocked.Exchange(ref maxRssKb, sample.RssKb);
            }

            var elapsed = Measure.SecondsSince(startedAt);
            if (elapsed >= nextMark && sample.RssKb > 0)
            {
                lock (timeline)
                {
                    timeline.Add((elapsed, sample.RssMb));
                }

                nextMark += timelineStep.TotalSeconds;
            }
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}

/// <summary>CPU over a stretch of wall time, in cores (2.00 = both cores of a 2-core machine).</summary>
/// <param name="Server">The StackHooks server process.</param>
/// <param name="Harness">This process: load generator and receiver.</param>
/// <param name="Others">Everything else on the machine (other users' builds and tests; wrk in the wrk phase).</param>
public sealed record CpuReading(double WallSeconds, double Server, double Harness, double Others);

/// <summary>
/// Reads CPU time at the start of a stretch and again at its end: the server's (/proc/PID/stat), the harness's own, and
/// the whole machine's (/proc/stat); what the machine spent beyond those two is other processes' load, which makes a
/// figure untrustworthy when it is high.
/// </summary>
public sealed class CpuMeter
{
    private readonly ServerProcess? server;
    private readonly double server0;
    private readonly double harness0;
    private readonly double machine0;
    private readonly long started = Stopwatch.GetTimestamp();

    public CpuMeter(ServerProcess? server)
    {
        this.server = server;
        server0 = server?.CpuSeconds() ?? 0;
        harness0 = HarnessSeconds();
        machine0 = MachineBusySeconds();
    }

    public CpuReading Read()
    {
        var wall = Measure.SecondsSince(started);
        if (wall <= 0)
        {
            return new CpuReading(0, 0, 0, 0);
        }

        var serverCores = server is null ? 0 : (server.CpuSeconds() - server0) / wall;
        var harnessCores = (HarnessSeconds() - harness0) / wall;
        var machineCores = (MachineBusySeconds() - machine0) / wall;
        return new CpuReading(wall, serverCores, harnessCores, Math.Max(0, machineCores - serverCores - harnessCores));
    }

    private static double HarnessSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Busy CPU seconds of the whole machine since boot: all of /proc/stat's "cpu" line but idle and iowait.</summary>
    public static double MachineBusySeconds()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var busy = fields.Sum() - fields[3] - fields[4];
            return busy / (double)ServerProcess.ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The 1-minute load average (/proc/loadavg).</summary>
    public static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>
    /// Waits, at most <paramref name="limit"/>, until other processes use less than <paramref name="threshold"/> cores over
    /// a second (the harness is idle meanwhile); returns how long it waited and the load seen last.
    /// </summary>
    public static async Task<(double WaitedSeconds, double OtherCores)> WaitQuietAsync(TimeSpan limit, double threshold, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = Measure.After(limit);
        double others;
        do
        {
            var meter = new CpuMeter(null);
            await Task.Delay(1000, ct);
            others = meter.Read().Others;
        }
        while (others >= threshold && Stopwatch.GetTimestamp() < deadline);

        return (Measure.SecondsSince(start), others);
    }
}
