using System.Net.Http.Headers;

namespace StackHooks.Delivery;

/// <summary>
/// When to try a failed delivery again (SPEC §5): the nominal delay after each failed attempt, ±20 % jitter, and
/// <c>Retry-After</c> honoured up to the step's cap.
/// </summary>
/// <remarks>
/// A step's cap is the longest delay jitter could give it (nominal × 1.2). A receiver's <c>Retry-After</c> may bring a retry
/// forward (down to zero) or push it back up to that cap, but never further, so the whole schedule still ends within the
/// sum of its caps whatever receivers answer, and <c>nextAttemptAt</c> stays predictable.
/// </remarks>
public sealed class RetrySchedule
{
    /// <summary>±20 %.</summary>
    public const double Jitter = 0.2;

    private readonly TimeSpan[] delays;
    private readonly Func<double> random;

    /// <param name="delays">The delay after the 1st, 2nd, … failed attempt; empty means no automatic retry.</param>
    /// <param name="random">A source of numbers in [0, 1) for the jitter; <see cref="Random.Shared"/> when null.</param>
    public RetrySchedule(IReadOnlyList<TimeSpan> delays, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(delays);
        if (delays.Any(d => d < TimeSpan.Zero))
        {
            throw new ArgumentException("Retry delays cannot be negative.", nameof(delays));
        }

        this.delays = [.. delays];
        this.random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>SPEC §5: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h.</summary>
    public static IReadOnlyList<TimeSpan> DefaultDelays { get; } = Array.AsReadOnly(new[]
    {
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
        TimeSpan.FromHours(8), TimeSpan.FromHours(12),
    });

    /// <summary>The nominal delays, before jitter.</summary>
    public IReadOnlyList<TimeSpan> Delays => delays;

    /// <summary>The first try plus one per delay.</summary>
    public int MaxAttempts => delays.Length + 1;

    /// <summary>
    /// How long to wait before the next attempt, after <paramref name="attemptsSoFar"/> attempts have failed; null when no
    /// attempt is left and the delivery is <c>failed</c>.
    /// </summary>
    /// <param name="attemptsSoFar">Attempts made so far, the failed one included (1 after the first try).</param>
    /// <param name="retryAfter">The receiver's <c>Retry-After</c>; pass it only for a 429 or 503 response.</param>
    public TimeSpan? NextDelay(int attemptsSoFar, TimeSpan? retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsSoFar, 1);
        if (attemptsSoFar >= MaxAttempts)
        {
            return null;
        }

        var nominal = delays[attemptsSoFar - 1];
        if (retryAfter is { } asked)
        {
            var cap = Scale(nominal, 1 + Jitter);
            return asked < TimeSpan.Zero ? TimeSpan.Zero : asked > cap ? cap : asked;
        }

        var factor = 1 + (Jitter * ((2 * Math.Clamp(random(), 0, 1)) - 1));
        return Scale(nominal, factor);
    }

    /// <summary>
    /// The <c>Retry-After</c> of a response as a delay from <paramref name="now"/>: delta-seconds, or an HTTP date (a date in
    /// the past is zero). Null when absent or unreadable.
    /// </summary>
    public static TimeSpan? ParseRetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var value = headers.RetryAfter;
        if (value?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (value?.Date is { } date)
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static TimeSpan Scale(TimeSpan nominal, double factor)
    {
        var ticks = nominal.Ticks * factor;
        return ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)Math.Round(ticks));
    }
}
