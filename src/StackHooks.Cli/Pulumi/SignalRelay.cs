using System.Diagnostics;
using System.Runtime.InteropServices;
using StackHooks.Cli.Reporting;

namespace StackHooks.Cli.Pulumi;

/// <summary>What Ctrl-C and SIGTERM mean while the relay is in place.</summary>
public enum SignalHandling
{
    /// <summary><c>stackhooks run</c>: pass them on to pulumi so it can cancel cleanly; the tool keeps running to report the outcome.</summary>
    PassOn,

    /// <summary>
    /// <c>stackhooks runner</c>: the first one asks the runner to stop after the deployment in progress (pulumi is left to
    /// finish it); any further one is passed on to pulumi.
    /// </summary>
    FinishFirst,
}

/// <summary>
/// Catches Ctrl-C (SIGINT) and SIGTERM for as long as it is not disposed, so that they do not end the tool, and passes them
/// on to the child process attached to it, as <see cref="SignalHandling"/> says.
/// </summary>
public sealed class SignalRelay : IDisposable
{
    private readonly SignalHandling handling;
    private readonly Messages messages;
    private readonly CancellationTokenSource stop = new();
    private readonly PosixSignalRegistration interrupt;
    private readonly PosixSignalRegistration terminate;
    private readonly object gate = new();
    private Process? child;
    private int pending;
    private int received;

    public SignalRelay(SignalHandling handling, Messages messages)
    {
        this.handling = handling;
        this.messages = messages;
        interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>The process signals are passed on to, while it runs; a signal that came just before it was attached is passed on then.</summary>
    public Process? Child
    {
        get
        {
            lock (gate)
            {
                return child;
            }
        }

        set
        {
            int held;
            lock (gate)
            {
                child = value;
                held = value is null ? 0 : pending;
                pending = 0;
            }

            if (held != 0)
            {
                PassOn(value!, held);
            }
        }
    }

    /// <summary>Cancelled by the first signal in <see cref="SignalHandling.FinishFirst"/> mode.</summary>
    public CancellationToken StopRequested => stop.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var count = Interlocked.Increment(ref received);
        if (handling == SignalHandling.FinishFirst && count == 1)
        {
            messages.Info(Child is null
                ? "stopping"
                : "stopping after the deployment in progress (signal again to cancel it)");
            stop.Cancel();
            return;
        }

        var signal = context.Signal == PosixSignal.SIGTERM ? Native.SIGTERM : Native.SIGINT;
        if (signal == Native.SIGINT && Native.KeyboardReachesChildren())
        {
            return; // the terminal has already delivered this Ctrl-C to pulumi, which shares our process group
        }

        Process? target;
        lock (gate)
        {
            target = child;
            if (target is null && handling == SignalHandling.PassOn)
            {
                pending = signal; // pulumi is being started: it gets the signal as soon as it is attached
            }
        }

        if (target is not null)
        {
            PassOn(target, signal);
        }
    }

    private static void PassOn(Process target, int signal)
    {
        try
        {
            if (!target.HasExited)
            {
                Native.SendSignal(target.Id, signal);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public void Dispose()
    {
        interrupt.Dispose();
        terminate.Dispose();
        stop.Dispose();
    }
}
