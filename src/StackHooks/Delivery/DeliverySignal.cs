using System.Threading.Channels;

namespace StackHooks.Delivery;

/// <summary>
/// Wakes the dispatcher when work arrives (an event committed, an attempt finished), so latency does not depend on a
/// poll interval. Many wakes collapse into one. On PostgreSQL, other nodes' commits arrive through LISTEN/NOTIFY
/// (<see cref="ClusterWakeups"/>).
/// </summary>
public sealed class DeliverySignal
{
    /// <summary>The PostgreSQL LISTEN/NOTIFY channel that carries wake-ups between nodes.</summary>
    public const string Channel = "stackhooks_deliveries";

    private readonly Channel<bool> channel = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    public void Wake() => channel.Writer.TryWrite(true);

    /// <summary>Raised by <see cref="WebhooksChanged"/>, synchronously, before the caller answers.</summary>
    public event Action? HeldWorkStale;

    /// <summary>
    /// Webhooks were changed or deleted, or a delivery is being redelivered by hand: deliveries this process claimed ahead and
    /// has not started yet are given back to the queue, so none goes out with an old URL, secret or format, after its webhook
    /// is gone, or twice.
    /// </summary>
    public void WebhooksChanged()
    {
        HeldWorkStale?.Invoke();
        Wake();
    }

    /// <summary>Completes when woken (consuming the wake-up) or when <paramref name="timeout"/> passes.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (channel.Reader.TryRead(out _))
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var woken = channel.Reader.WaitToReadAsync(linked.Token).AsTask();
        var elapsed = Task.Delay(timeout, time, linked.Token);
        await Task.WhenAny(woken, elapsed);
        await linked.CancelAsync();
        channel.Reader.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
