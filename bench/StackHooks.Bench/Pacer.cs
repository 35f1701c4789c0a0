using System.Diagnostics;

namespace StackHooks.Bench;

/// <summary>
/// Sends events at a steady rate on a Stopwatch schedule: event i is due at start + i/rate, whatever happened before it
/// (open loop: a slow response does not delay the next send). A dedicated thread sleeps in 1 ms steps until each due
/// time, so a send is at most ~1 ms late and no core is burnt spinning; requests run concurrently, at most
/// <see cref="MaxInFlight"/> at once. Records, per version, when the POST started and when its 202 was read.
/// </summary>
public sealed class Pacer(Api api, int rate)
{
    public const int Capacity = 1 << 18;
    private const int MaxInFlight = 2_000;

    private readonly long[] sentAt = new long[Capacity];
    private readonly long[] acceptedAt = new long[Capacity];
    private readonly List<double> postMs = [];
    private long sent;
    private long errors;
    private long inFlight;
    private string? firstError;

    public long Sent => Interlocked.Read(ref sent);

    public long Errors => Interlocked.Read(ref errors);

    public string? FirstError => Volatile.Read(ref firstError);

    /// <summary>Sends per second over the last run, first send to last send.</summary>
    public double AchievedRate { get; private set; }

    /// <summary>How late sends were against their schedule, 99th percentile of the last run.</summary>
    public double LatenessP99Ms { get; private set; }

    /// <summary>POST → 202 time, 99th percentile over all runs.</summary>
    public double PostP99Ms
    {
        get
        {
            lock (postMs)
            {
                var sorted = postMs.Order().ToList();
                return Measure.Percentile(sorted, 99);
            }
        }
    }

    public long SentAt(long version) => version is > 0 and < Capacity ? sentAt[version] : 0;

    public long AcceptedAt(long version) => version is > 0 and < Capacity ? Volatile.Read(ref acceptedAt[version]) : 0;

    /// <summary>Sends versions firstVersion … firstVersion+count-1; returns the seconds from the first send to the last response.</summary>
    public async Task<double> RunAsync(long firstVersion, long count, CancellationToken ct)
    {
        if (firstVersion < 1 || firstVersion + count > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"versions must stay below {Capacity}");
        }

        var requests = new List<Task>((int)count);
        var lateness = new List<double>((int)count);
        var done = new TaskCompletionSource<(long First, long Last)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(Loop(firstVersion, count, requests, lateness, ct));
            }
            catch (Exception exception)
            {
                done.SetException(exception);
            }
        })
        { IsBackground = true, Name = "pacer" };
        thread.Start();
        var (first, last) = await done.Task;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Task.WhenAll(requests).WaitAsync(limit.Token);
        var end = Stopwatch.GetTimestamp();

        AchievedRate = count > 1 && last > first ? (count - 1) / Measure.Seconds(first, last) : 0;
        lateness.Sort();
        LatenessP99Ms = Measure.Percentile(lateness, 99);
        return Measure.Seconds(first, end);
    }

    private (long First, long Last) Loop(long firstVersion, long count, List<Task> requests, List<double> lateness, CancellationToken ct)
    {
        var ticksPerEvent = Stopwatch.Frequency / (double)rate;
        var start = Stopwatch.GetTimestamp();
        var hardStop = start + (long)(((count / (double)rate) + 30) * Stopwatch.Frequency);
        long last = start;
        for (long i = 0; i < count && !ct.IsCancellationRequested; i++)
        {
            var due = start + (long)(i * ticksPerEvent);
            long now;
            while (((now = Stopwatch.GetTimestamp()) < due || Interlocked.Read(ref inFlight) >= MaxInFlight) && now < hardStop)
            {
                Thread.Sleep(1);
            }

            if (now >= hardStop)
            {
                break;
            }

            lateness.Add(Measure.Milliseconds(due, now));
            last = now;
            requests.Add(SendAsync(firstVersion + i, ct));
        }

        return (start, last);
    }

    private async Task SendAsync(long version, CancellationToken ct)
    {
        Interlocked.Increment(ref inFlight);
        Interlocked.Increment(ref sent);
        try
        {
            var result = await api.PostEventAsync(version, ct);
            sentAt[version] = result.StartedAt;
            lock (postMs)
            {
                postMs.Add(Measure.Milliseconds(result.StartedAt, result.FinishedAt));
            }

            if (result.Accepted)
            {
                Volatile.Write(ref acceptedAt[version], result.FinishedAt);
            }
            else
            {
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, result.Error ?? $"HTTP {result.Status}", null);
            }
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }
}
