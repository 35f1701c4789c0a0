using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StackHooks.Storage;

namespace StackHooks.Delivery;

/// <summary>
/// Claims due deliveries and sends them with bounded concurrency (overall and per webhook, so one slow receiver cannot take
/// every slot), and records each attempt. Each webhook has a lane: the deliveries claimed for it wait there in order and are
/// sent as its slots free up, so a fast receiver is kept busy without a database round trip between one send and the next
/// (see <see cref="DeliveryOptions.ClaimAheadPerWebhook"/>). Completions are written in batches by one writer. Survives any
/// exception but cancellation; on shutdown it stops claiming, lets in-flight attempts finish for a few seconds, and gives
/// back every lease it holds.
/// </summary>
public sealed partial class Dispatcher(
    Database database,
    DeliveryQueue queue,
    Sender sender,
    DeliverySignal signal,
    DeliveryMetrics metrics,
    RetrySchedule schedule,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<Dispatcher> logger) : BackgroundService
{
    /// <summary>Longest sleep without a wake-up; retries fall due without anyone signalling.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan CompletionLinger = TimeSpan.FromMilliseconds(2);

    /// <summary>A claimed delivery starts only with this much of its lease left beyond the attempt timeout (less for short leases).</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(5);

    /// <summary>Whether this thread is inside <see cref="Start"/> already (see there).</summary>
    [ThreadStatic]
    private static bool startingInline;

    private readonly string owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<Task, bool> inFlight = new();
    private readonly Channel<Completion> completions = Channel.CreateUnbounded<Completion>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource abortSends = new();

    // Lanes, guarded by `gate`: every claimed delivery is in `held` until its attempt ends or it is given back.
    private readonly Lock gate = new();
    private readonly Dictionary<string, Lane> lanes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeliveryWork> held = new(StringComparer.Ordinal);
    private readonly Queue<Lane> ready = new(); // lanes with a delivery waiting and a free slot, in turn
    private readonly List<string> toGiveBack = [];
    private int sending;
    private bool stopping;

    /// <summary>Whether the last claim left due deliveries behind: then written completions may wake a new claim.</summary>
    private volatile bool unclaimedDue;

    /// <summary>
    /// Whether enough has been sent since the last claim for a new one to be worth its cost: a lane that may have more
    /// due work is down to half its claim-ahead, or half of all places are free. Claiming after every written batch instead
    /// took ~12 deliveries per claim at full speed, and the claims cost as much as the sends.
    /// </summary>
    private bool claimWanted;

    /// <summary>Whether the last claim took as many as the places free: more may be due for webhooks with no lane yet.</summary>
    private bool roomLimited;

    private int ClaimAhead => options.Value.ClaimAheadPerWebhook ?? (database.Engine == StorageEngine.Sqlite ? 256 : 0);

    /// <summary>
    /// Claimed deliveries held at once: every send slot, plus the claim-ahead, which the busy webhooks share (a claim gives
    /// each its part). Four times the claim-ahead held for ten webhooks made every claim walk ~1,000 leased rows, and the
    /// drain to ten webhooks ran at 5,000/s instead of 7,500–8,200/s.
    /// </summary>
    private int MaxHeld => options.Value.MaxConcurrency + ClaimAhead;

    /// <summary>
    /// Under the gate: the claimed-ahead deliveries a lane can expect, its part of the claim-ahead. Measured against the
    /// whole claim-ahead instead, every lane of ten busy webhooks looked short at once, and a claim followed every batch.
    /// </summary>
    private int LaneShare => ClaimAhead / Math.Max(1, lanes.Count);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Dispatch)
        {
            LogNotDispatching(logger);
            return;
        }

        if (database.Engine == StorageEngine.Sqlite)
        {
            await RunSafelyAsync(() => queue.ReleaseAllAsync(stoppingToken), stoppingToken);
        }

        signal.HeldWorkStale += GiveBackWaiting;
        var writer = Task.Run(WriteCompletionsAsync, CancellationToken.None);
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await GiveBackAsync();
                int room;
                lock (gate)
                {
                    room = MaxHeld - held.Count;
                }

                var now = time.GetUtcNow();
                lock (gate)
                {
                    claimWanted = false;
                }

                if (room > 0)
                {
                    var claimed = await queue.ClaimAsync(owner, now.ToUnixTimeMilliseconds(), (now + settings.LeaseDuration).ToUnixTimeMilliseconds(),
                        room, settings.MaxConcurrencyPerWebhook, ClaimAhead, stoppingToken);
                    Take(claimed);
                    lock (gate)
                    {
                        roomLimited = claimed.Count == room;
                    }

                    if (claimed.Count == room)
                    {
                        unclaimedDue = true;
                        continue; // every place taken: more may be due as soon as one frees
                    }
                }

                // Everything claimable is claimed. Only a claim limited by busy webhooks needs another once their attempts
                // are recorded (without this, every written batch would start a claim that finds nothing, at a cost of the
                // API's latency). Sleep until the next retry falls due (at most the poll interval); new events and written
                // completions (which free webhooks' places) wake us sooner.
                (unclaimedDue, var nextDue) = await queue.LookAheadAsync(now.ToUnixTimeMilliseconds(), stoppingToken);
                var wait = nextDue is { } due
                    ? TimeSpan.FromMilliseconds(Math.Clamp(due - time.GetUtcNow().ToUnixTimeMilliseconds(), 1, PollInterval.TotalMilliseconds))
                    : PollInterval;
                await signal.WaitAsync(wait, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                LogLoopFailed(logger, exception);
                await RunSafelyAsync(() => Task.Delay(PollInterval, time, stoppingToken), stoppingToken);
            }
        }

        signal.HeldWorkStale -= GiveBackWaiting;
        await ShutDownAsync(writer);
    }

    /// <summary>Puts claimed deliveries in their webhooks' lanes and starts what the free slots allow.</summary>
    private void Take(List<DeliveryWork> claimed)
    {
        if (claimed.Count == 0)
        {
            return;
        }

        List<DeliveryWork> start;
        lock (gate)
        {
            foreach (var work in claimed)
            {
                if (held.TryGetValue(work.Id, out var already))
                {
                    // Claimed again after its lease ran out while it waited here: one copy, with the new lease.
                    already.LeaseUntil = work.LeaseUntil;
                    continue;
                }

                held[work.Id] = work;
                if (!lanes.TryGetValue(work.WebhookId, out var lane))
                {
                    lanes[work.WebhookId] = lane = new Lane();
                }

                lane.Waiting.Enqueue(work);
                MakeReady(lane);
            }

            start = Pump();
        }

        Start(start);
    }

    /// <summary>Under the gate: takes the deliveries to start now, lane by lane in turn, within both limits.</summary>
    private List<DeliveryWork> Pump()
    {
        var start = new List<DeliveryWork>();
        var settings = options.Value;
        var margin = TimeSpan.FromTicks(Math.Min(LeaseMargin.Ticks, (settings.LeaseDuration - settings.Timeout).Ticks / 2));
        var latestStart = (time.GetUtcNow() + settings.Timeout + margin).ToUnixTimeMilliseconds();
        while (!stopping && sending < settings.MaxConcurrency && ready.TryDequeue(out var lane))
        {
            lane.Ready = false;
            if (lane.Waiting.TryDequeue(out var work))
            {
                if (work.LeaseUntil < latestStart)
                {
                    // Waited too long behind a slow receiver: its lease could run out mid-attempt. Give it back instead.
                    held.Remove(work.Id);
                    toGiveBack.Add(work.Id);
                }
                else
                {
                    lane.Sending++;
                    sending++;
                    start.Add(work);
                }
            }

            MakeReady(lane);
        }

        if (toGiveBack.Count > 0)
        {
            signal.Wake();
        }

        return start;
    }

    private void MakeReady(Lane lane)
    {
        if (!lane.Ready && lane.Waiting.Count > 0 && lane.Sending < options.Value.MaxConcurrencyPerWebhook)
        {
            lane.Ready = true;
            ready.Enqueue(lane);
        }
    }

    private void Start(List<DeliveryWork> start)
    {
        foreach (var work in start)
        {
            // Begun on this thread up to its first wait (the request written to the socket): a thread-pool hop per
            // delivery cost ~10 % of the dispatcher's CPU. Only one level deep: an attempt that ends at once (a blocked
            // destination, a deployment webhook) finishes inside this call, and the sends it starts must not nest further.
            Task task;
            if (startingInline)
            {
                task = SendAsync(work, yieldFirst: true);
            }
            else
            {
                startingInline = true;
                try
                {
                    task = SendAsync(work, yieldFirst: false);
                }
                finally
                {
                    startingInline = false;
                }
            }

            inFlight[task] = true;
            _ = task.ContinueWith(t => inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task SendAsync(DeliveryWork work, bool yieldFirst)
    {
        if (yieldFirst)
        {
            await Task.Yield();
        }

        var finished = false;
        try
        {
            var result = await sender.SendAsync(work, abortSends.Token);
            var completion = Completion.For(work, result, schedule, time.GetUtcNow());
            metrics.RecordAttempt(result, completion.Status);
            finished = true;
            Finished(work); // first, so the writer sees whether this attempt made a new claim worth it
            completions.Writer.TryWrite(completion);
        }
        catch (OperationCanceledException) when (abortSends.IsCancellationRequested)
        {
            // Shutdown cut the attempt short; the lease is released and another start sends it again.
        }
        catch (Exception exception)
        {
            LogSendFailed(logger, exception, work.Id);
        }
        finally
        {
            if (!finished)
            {
                Finished(work);
            }
        }
    }

    /// <summary>An attempt ended: its slot goes to the next waiting delivery, of this webhook or another.</summary>
    private void Finished(DeliveryWork work)
    {
        List<DeliveryWork> start;
        lock (gate)
        {
            held.Remove(work.Id);
            sending--;
            var lane = lanes[work.WebhookId];
            lane.Sending--;
            if (lane.Waiting.Count <= LaneShare / 2 || (roomLimited && held.Count <= MaxHeld / 2))
            {
                claimWanted = true;
            }

            if (lane.Sending == 0 && lane.Waiting.Count == 0)
            {
                lanes.Remove(work.WebhookId);
            }
            else
            {
                MakeReady(lane);
            }

            start = Pump();
        }

        Start(start);
    }

    /// <summary>Webhooks changed (<see cref="DeliverySignal.WebhooksChanged"/>): every claimed delivery not yet started goes back.</summary>
    private void GiveBackWaiting()
    {
        lock (gate)
        {
            foreach (var (webhookId, lane) in lanes)
            {
                while (lane.Waiting.TryDequeue(out var work))
                {
                    held.Remove(work.Id);
                    toGiveBack.Add(work.Id);
                }

                if (lane.Sending == 0)
                {
                    lanes.Remove(webhookId);
                }
            }
        }
    }

    /// <summary>Releases the leases of deliveries taken out of the lanes unsent, so they are claimed again (fresh).</summary>
    private async Task GiveBackAsync()
    {
        string[] ids;
        lock (gate)
        {
            if (toGiveBack.Count == 0)
            {
                return;
            }

            ids = [.. toGiveBack];
            toGiveBack.Clear();
        }

        try
        {
            await queue.ReleaseAsync(ids, owner, CancellationToken.None);
        }
        catch (Exception exception)
        {
            LogGiveBackFailed(logger, exception, ids.Length); // their leases run out instead; nothing is lost
        }
    }

    /// <summary>One writer drains finished attempts and records them many to a transaction.</summary>
    private async Task WriteCompletionsAsync()
    {
        var batch = new List<Completion>(256);
        // With lanes (claim-ahead), nothing waits for these writes but the next claim: let a few milliseconds' worth of
        // attempts gather and write them together (a batch of ~8 cost as much as one of ~50). Wall-clock on purpose: a
        // batching window, not a scheduled time. Without lanes (PostgreSQL) each write frees a webhook's place at once.
        var linger = ClaimAhead > 0 ? CompletionLinger : TimeSpan.Zero;
        while (await completions.Reader.WaitToReadAsync())
        {
            if (linger > TimeSpan.Zero)
            {
                await Task.Delay(linger);
            }

            while (batch.Count < 256 && completions.Reader.TryRead(out var completion))
            {
                batch.Add(completion);
            }

            try
            {
                await queue.CompleteAsync(batch, CancellationToken.None);
                batch.Clear();
                bool wanted;
                lock (gate)
                {
                    wanted = claimWanted;
                }

                if (unclaimedDue && wanted)
                {
                    signal.Wake(); // their leases are released now: the webhooks they held have room for what waits
                }
            }
            catch (Exception exception)
            {
                // Keep the batch and try again: an attempt's outcome is not dropped because the database hiccuped.
                LogWriteFailed(logger, exception, batch.Count);
                await Task.Delay(PollInterval, time);
            }
        }
    }

    private async Task ShutDownAsync(Task writer)
    {
        lock (gate)
        {
            stopping = true; // nothing new starts; what waits in the lanes is released with the rest below
        }

        var pending = inFlight.Keys.ToArray();
        if (pending.Length > 0)
        {
            await Task.WhenAny(Task.WhenAll(pending), Task.Delay(ShutdownGrace, time));
            await abortSends.CancelAsync();
            await Task.WhenAll(inFlight.Keys.ToArray());
        }

        completions.Writer.TryComplete();
        await writer;
        await RunSafelyAsync(() => queue.ReleaseAsync(owner, CancellationToken.None), CancellationToken.None);
    }

    /// <summary>One webhook's claimed deliveries: waiting in claim order (oldest due first), and how many are being sent.</summary>
    private sealed class Lane
    {
        public Queue<DeliveryWork> Waiting { get; } = new();

        public int Sending { get; set; }

        /// <summary>Whether it is in the ready queue.</summary>
        public bool Ready { get; set; }
    }

    private async Task RunSafelyAsync(Func<Task> action, CancellationToken stoppingToken)
    {
        try
        {
            await action();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            LogLoopFailed(logger, exception);
        }
    }

    public override void Dispose()
    {
        abortSends.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "StackHooks:Delivery:Dispatch is false: this process records events but sends no deliveries")]
    private static partial void LogNotDispatching(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "The dispatcher loop failed; it goes on")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sending delivery {DeliveryId} failed unexpectedly; its lease will expire and it will be sent again")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string deliveryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving back {Count} claimed deliveries failed; their leases will run out and they will be claimed again")]
    private static partial void LogGiveBackFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Count} delivery attempts failed; retrying")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);
}

