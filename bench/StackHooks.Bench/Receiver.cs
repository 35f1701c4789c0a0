using System.Buffers;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace StackHooks.Bench;

/// <summary>
/// The fast local webhook receiver: a bare Kestrel app on 127.0.0.1 that answers every request 200 "ok" at once, counts
/// requests, and (when <see cref="Recording"/> is on) stores the first arrival time of each event, keyed by the
/// <c>"version":N</c> marker of the payload. Per request: one body read, one byte search, two interlocked operations.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private static readonly byte[] Ok = "ok"u8.ToArray();
    private static readonly byte[] Marker = "\"version\":"u8.ToArray();

    private readonly WebApplication app;
    private readonly long[] arrivals;
    private readonly long[] requestTimes = new long[1 << 21];
    private long requests;
    private long distinct;
    private long duplicates;
    private long unmarked;
    private long firstArrival;
    private long target = long.MaxValue;
    private long targetReachedAt;
    private byte[]? sample;

    private Receiver(WebApplication app, int capacity)
    {
        this.app = app;
        arrivals = new long[capacity];
    }

    /// <summary>Where hooks should post; a query string tells hooks apart in logs only, the receiver ignores it.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Whether arrivals are recorded by version (latency and distinct counts); off: requests are only counted.</summary>
    public bool Recording { get; set; }

    public long Requests => Interlocked.Read(ref requests);

    public long Distinct => Interlocked.Read(ref distinct);

    public long Duplicates => Interlocked.Read(ref duplicates);

    public long Unmarked => Interlocked.Read(ref unmarked);

    /// <summary>Stopwatch timestamp of the first request since <see cref="Reset"/>, 0 when none came.</summary>
    public long FirstArrival => Interlocked.Read(ref firstArrival);

    /// <summary>Stopwatch timestamp of the request that made the count reach the target, 0 until then.</summary>
    public long TargetReachedAt => Interlocked.Read(ref targetReachedAt);

    /// <summary>The first body received since start: the exact payload the server sends, reused by the wrk phase.</summary>
    public byte[]? SampleBody => Volatile.Read(ref sample);

    public static async Task<Receiver> StartAsync(int capacity)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(System.Net.IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var receiver = new Receiver(app, capacity);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = $"{address.TrimEnd('/')}/hook";
        return receiver;
    }

    /// <summary>
    /// Sends the receiver a few thousand requests from this process so that its code is jitted and tiered up before any
    /// phase measures it (otherwise the first drain pays the JIT in the receiver's CPU); then clears what they left.
    /// </summary>
    public async Task WarmUpAsync(int requests, CancellationToken ct)
    {
        using var http = new HttpClient();
        var uri = new Uri(Url);
        var next = 0;
        Recording = true;
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= requests)
            {
                using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($"{{\"kind\":\"update\",\"version\":{i}}}"));
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(uri, content, ct);
            }
        }, ct));
        await Task.WhenAll(clients);
        Recording = false;
        Volatile.Write(ref sample, null);
        Reset();
    }

    /// <summary>Zeroes the counters and arrivals; the count at which <see cref="TargetReachedAt"/> is stamped becomes <paramref name="countTarget"/>.</summary>
    public void Reset(long countTarget = long.MaxValue)
    {
        Array.Clear(arrivals);
        Interlocked.Exchange(ref requests, 0);
        Interlocked.Exchange(ref distinct, 0);
        Interlocked.Exchange(ref duplicates, 0);
        Interlocked.Exchange(ref unmarked, 0);
        Interlocked.Exchange(ref firstArrival, 0);
        Interlocked.Exchange(ref targetReachedAt, 0);
        Interlocked.Exchange(ref target, countTarget);
    }

    /// <summary>
    /// Pauses in the flow of requests: gaps of at least <paramref name="thresholdMs"/> between consecutive arrivals among
    /// the first <paramref name="count"/> requests since <see cref="Reset"/>. A receiver that is fed steadily shows none.
    /// </summary>
    public Stalls FindStalls(long count, double thresholdMs)
    {
        var times = SortedTimes(count);
        if (times.Length < 2)
        {
            return new Stalls(0, 0, 0, 0);
        }

        var gaps = new List<double>();
        for (var i = 1; i < times.Length; i++)
        {
            var gap = Measure.Milliseconds(times[i - 1], times[i]);
            if (gap >= thresholdMs)
            {
                gaps.Add(gap);
            }
        }

        gaps.Sort();
        return new Stalls(gaps.Count, gaps.Sum() / 1000, Measure.Percentile(gaps, 50), gaps.Count > 0 ? gaps[^1] : 0);
    }

    /// <summary>
    /// Requests per second after a warm-up: from the first request that came <paramref name="warmUp"/> or more after the
    /// first one to the last of the first <paramref name="count"/> requests since <see cref="Reset"/>, and how many requests
    /// that span holds. A freshly started server spends its first seconds compiling its code and filling its caches; this is
    /// its rate once it has done so. (0, 0) when no request came after the warm-up.
    /// </summary>
    public (double PerSecond, long Requests) RateAfter(long count, TimeSpan warmUp)
    {
        var times = SortedTimes(count);
        if (times.Length < 2)
        {
            return (0, 0);
        }

        var from = times[0] + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var start = Array.FindIndex(times, t => t >= from);
        if (start < 0 || start == times.Length - 1)
        {
            return (0, 0); // no arrival after the warm-up, or only one: no span to divide by
        }

        var after = times.Length - 1 - start; // arrivals after the first one past the warm-up
        var seconds = Measure.Seconds(times[start], times[^1]);
        return seconds > 0 ? (after / seconds, after) : (0, 0);
    }

    /// <summary>Arrival timestamps of the first <paramref name="count"/> requests since <see cref="Reset"/>, in order.</summary>
    private long[] SortedTimes(long count)
    {
        var n = (int)Math.Min(Math.Min(count, Requests), requestTimes.Length - 1);
        var times = requestTimes.AsSpan(1, Math.Max(n, 0)).ToArray();
        Array.Sort(times);
        return times;
    }

    /// <summary>Arrival timestamp of the event with this version, 0 when it has not arrived.</summary>
    public long ArrivalOf(long version) => version > 0 && version < arrivals.Length ? Volatile.Read(ref arrivals[version]) : 0;

    private async Task HandleAsync(HttpContext context)
    {
        var now = Stopwatch.GetTimestamp();
        var reader = context.Request.BodyReader;
        long version = -1;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            var buffer = result.Buffer;
            if (result.IsCompleted)
            {
                if (Recording)
                {
                    version = FindVersion(buffer);
                }

                if (Volatile.Read(ref sample) is null)
                {
                    Interlocked.CompareExchange(ref sample, buffer.ToArray(), null);
                }

                reader.AdvanceTo(buffer.End);
                break;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        Interlocked.CompareExchange(ref firstArrival, now, 0);
        var count = Interlocked.Increment(ref requests);
        if (count < requestTimes.Length)
        {
            requestTimes[count] = now;
        }

        if (count == Interlocked.Read(ref target))
        {
            Interlocked.Exchange(ref targetReachedAt, Stopwatch.GetTimestamp());
        }

        if (Recording)
        {
            if (version > 0 && version < arrivals.Length)
            {
                if (Interlocked.CompareExchange(ref arrivals[version], now, 0) == 0)
                {
                    Interlocked.Increment(ref distinct);
                }
                else
                {
                    Interlocked.Increment(ref duplicates);
                }
            }
            else
            {
                Interlocked.Increment(ref unmarked);
            }
        }

        context.Response.StatusCode = 200;
        context.Response.ContentLength = Ok.Length;
        await context.Response.Body.WriteAsync(Ok, context.RequestAborted);
    }

    /// <summary>The number after the first <c>"version":</c> of the body, or -1.</summary>
    internal static long FindVersion(ReadOnlySequence<byte> body)
    {
        var reader = new SequenceReader<byte>(body);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> _, Marker, advancePastDelimiter: true))
        {
            return -1;
        }

        reader.AdvancePast((byte)' ');
        long value = 0;
        var digits = 0;
        while (digits < 18 && reader.TryPeek(out var b) && b is >= (byte)'0' and <= (byte)'9')
        {
            value = (value * 10) + (b - '0');
            digits++;
            reader.Advance(1);
        }

        return digits == 0 ? -1 : value;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(stop.Token);
        await app.DisposeAsync();
    }
}

/// <summary>Gaps between consecutive arrivals above a threshold: how many, their total, median and longest.</summary>
public sealed record Stalls(int Count, double TotalSeconds, double MedianMs, double LongestMs);
