using System.Diagnostics.Metrics;

namespace StackHooks.Delivery;

/// <summary>
/// Delivery metrics (exported at /metrics in Prometheus format): attempts by outcome, attempt duration, queue depth and
/// the age of the oldest due delivery. The backlog figures are refreshed by <see cref="DeliveryMaintenance"/>.
/// </summary>
public sealed class DeliveryMetrics : IDisposable
{
    public const string MeterName = "StackHooks.Delivery";

    private readonly Meter meter;
    private readonly Counter<long> deliveries;
    private readonly Histogram<double> attemptDuration;
    private long queueDepth;
    private double oldestDueAgeSeconds;

    public DeliveryMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        meter = meterFactory.Create(MeterName);
        deliveries = meter.CreateCounter<long>("stackhooks.deliveries", description: "Delivery attempts by outcome: succeeded, retrying (failed, another attempt is scheduled) or failed (no attempt left).");
        attemptDuration = meter.CreateHistogram<double>("stackhooks.delivery.attempt.duration", unit: "s", description: "Time from sending a delivery attempt to its response or failure.");
        meter.CreateObservableGauge("stackhooks.delivery.queue.depth", () => Volatile.Read(ref queueDepth), description: "Deliveries waiting to be sent (due now or scheduled for a retry).");
        meter.CreateObservableGauge("stackhooks.delivery.oldest_due.age", () => Volatile.Read(ref oldestDueAgeSeconds), unit: "s", description: "How long the oldest due delivery has been waiting.");
    }

    public void RecordAttempt(AttemptResult result, string status)
    {
        ArgumentNullException.ThrowIfNull(result);
        var outcome = status switch
        {
            "succeeded" => "succeeded",
            "pending" => "retrying",
            _ => "failed",
        };
        deliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        attemptDuration.Record(result.DurationMs / 1000.0);
    }

    public void SetBacklog(long depth, double oldestDueAgeSeconds)
    {
        Volatile.Write(ref queueDepth, depth);
        Volatile.Write(ref this.oldestDueAgeSeconds, oldestDueAgeSeconds);
    }

    public void Dispose() => meter.Dispose();
}
