using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StackHooks.Storage;

namespace StackHooks.Delivery;

/// <summary>
/// Claims due deliveries, sends them with bounded concurrency (overall and per webhook, so one slow receiver cannot take
/// every slot), and records each attempt. Completions are written in batches by one writer. Survives any exception but
/// cancellation; on shutdown it stops claiming, lets in-flight attempts finish for a few seconds, and releases the rest.
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

    private readonly string owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<Task, bool> inFlight = new();
    private readonly Channel<Completion> completions = Channel.CreateUnbounded<Completion>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource abortSends = new();

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

        var writer = Task.Run(WriteCompletionsAsync, CancellationToken.None);
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var free = settings.MaxConcurrency - inFlight.Count;
                if (free > 0)
                {
                    var now = time.GetUtcNow();
                    var claimed = await queue.ClaimAsync(owner, now.ToUnixTimeMilliseconds(), (now + settings.LeaseDuration).ToUnixTimeMilliseconds(),
                        free, settings.MaxConcurrencyPerWebhook, stoppingToken);
                    foreach (var work in claimed)
                    {
                        Start(work);
                    }

                    if (claimed.Count == free)
                    {
                        continue; // every slot filled: there may be more due as soon as one frees
                    }
                }

                // Everything claimable is claimed. Sleep until the next retry falls due (at most the poll interval);
                // new events and written completions (which free webhooks' slots) wake us sooner.
                var nextDue = await queue.NextDueAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), stoppingToken);
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

        await ShutDownAsync(writer);
    }

    private void Start(DeliveryWork work)
    {
        var task = SendAsync(work);
        inFlight[task] = true;
        _ = task.ContinueWith(
            t =>
            {
                inFlight.TryRemove(t, out _);
                signal.Wake();
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task SendAsync(DeliveryWork work)
    {
        try
        {
            var result = await sender.SendAsync(work, abortSends.Token);
            var completion = Completion.For(work, result, schedule, time.GetUtcNow());
            metrics.RecordAttempt(result, completion.Status);
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
    }

    /// <summary>One writer drains finished attempts and records them many to a transaction.</summary>
    private async Task WriteCompletionsAsync()
    {
        var batch = new List<Completion>(256);
        while (await completions.Reader.WaitToReadAsync())
        {
            while (batch.Count < 256 && completions.Reader.TryRead(out var completion))
            {
                batch.Add(completion);
            }

            try
            {
                await queue.CompleteAsync(batch, CancellationToken.None);
                batch.Clear();
                signal.Wake(); // their leases are released now: the webhooks they held have free slots again
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Count} delivery attempts failed; retrying")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);
}
