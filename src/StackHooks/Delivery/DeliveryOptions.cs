namespace StackHooks.Delivery;

/// <summary>Settings of section <c>StackHooks:Delivery</c> (SPEC §5, §9).</summary>
public sealed class DeliveryOptions
{
    public const string Section = "StackHooks:Delivery";

    /// <summary>How much of a receiver's response body is read and recorded (SPEC §5: the first 64 KiB).</summary>
    public const int MaxResponseBodyBytes = 64 * 1024;

    /// <summary>Let deliveries reach loopback, private and link-local addresses (see <see cref="DestinationGuard"/>).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Per-attempt timeout: the whole exchange, from connecting to the end of the response.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Delays after each failed attempt; null means <see cref="Delivery.RetrySchedule.DefaultDelays"/>. Null by default because
    /// the configuration binder appends configured items to a non-null array instead of replacing it. Configured as
    /// <c>RetrySchedule:0</c>, <c>RetrySchedule:1</c> … (JSON: an array); the value <c>""</c> binds to an empty array, which
    /// means no automatic retry. A single scalar value such as <c>"00:00:05"</c> is not an array and is ignored by the binder.
    /// </summary>
#pragma warning disable CA1819 // An array is what the configuration binder can replace wholesale.
    public TimeSpan[]? RetrySchedule { get; set; }
#pragma warning restore CA1819

    /// <summary>
    /// Deliveries in flight at once, over all webhooks. A slot is a socket and a waiting task, not a thread, so it is cheap;
    /// what isolation rests on is its ratio to <see cref="MaxConcurrencyPerWebhook"/>, the number of receivers hanging
    /// until the timeout that it takes to fill every slot. Change the two together.
    /// </summary>
    public int MaxConcurrency { get; set; } = 128;

    /// <summary>
    /// Deliveries in flight at once to one webhook, so one slow receiver cannot take every slot. Eight rather than four
    /// (with <see cref="MaxConcurrency"/> doubled, keeping the ratio at 16): a fast receiver took ~18 % more deliveries
    /// per second, both ends handling more requests per wake-up (docs/BENCHMARKS.md).
    /// </summary>
    public int MaxConcurrencyPerWebhook { get; set; } = 8;

    /// <summary>
    /// Deliveries a node may claim beyond those it is sending, to send next without a database round trip between them:
    /// all of them for one busy webhook, shared equally when several webhooks have due work (so a few hanging receivers
    /// cannot take the places of a fast one). Null means the engine's default: 256 on SQLite (one process: nothing else could send them), 0 on
    /// PostgreSQL (every claimed delivery is one in flight, so <see cref="MaxConcurrencyPerWebhook"/> holds exactly across
    /// the cluster). A claimed delivery not yet started when its lease is within <see cref="Timeout"/> + 5 s of running out
    /// (less for leases under Timeout + 10 s) is given back, never sent late; one whose webhook is changed or deleted is given
    /// back at once.
    /// </summary>
    public int? ClaimAheadPerWebhook { get; set; }

    /// <summary>How long finished deliveries and their attempts are kept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a claimed delivery stays with its claimer before another node may take it (crash recovery).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether this process sends deliveries. False makes an API-only node: events are recorded and queued for other
    /// nodes (cluster mode) or for a later start; the benchmark uses it to fill the queue.
    /// </summary>
    public bool Dispatch { get; set; } = true;

    /// <summary>The configured retry delays, or the default schedule when none are configured.</summary>
    public IReadOnlyList<TimeSpan> EffectiveRetrySchedule() => RetrySchedule ?? Delivery.RetrySchedule.DefaultDelays;

    /// <summary>What is wrong with these settings, one message per problem; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Timeout <= TimeSpan.Zero)
        {
            problems.Add($"{Section}:Timeout must be positive.");
        }

        if (RetrySchedule?.Any(d => d < TimeSpan.Zero) == true)
        {
            problems.Add($"{Section}:RetrySchedule cannot hold negative delays.");
        }

        if (MaxConcurrency < 1)
        {
            problems.Add($"{Section}:MaxConcurrency must be at least 1.");
        }

        if (MaxConcurrencyPerWebhook < 1)
        {
            problems.Add($"{Section}:MaxConcurrencyPerWebhook must be at least 1.");
        }

        if (ClaimAheadPerWebhook < 0)
        {
            problems.Add($"{Section}:ClaimAheadPerWebhook cannot be negative.");
        }

        if (Retention <= TimeSpan.Zero)
        {
            problems.Add($"{Section}:Retention must be positive.");
        }

        // A lease that can run out during an attempt would let a second node send the same delivery concurrently.
        if (LeaseDuration <= Timeout)
        {
            problems.Add($"{Section}:LeaseDuration must be longer than {Section}:Timeout.");
        }

        return problems;
    }
}
