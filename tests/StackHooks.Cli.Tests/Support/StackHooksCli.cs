using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace StackHooks.Cli.Tests.Support;

/// <summary>How a run of the tool ended: its exit code and everything it printed.</summary>
public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
}

/// <summary>
/// The built tool run as people run it, <c>dotnet stackhooks.dll …</c>, as a child process with the environment a test
/// gives it (and none of the test process's own STACKHOOKS_* variables).
/// </summary>
public static partial class StackHooksCli
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public static string DllPath { get; } = Locate();

    static StackHooksCli() => StopIgnoringInterrupts();

    public static async Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        using var running = Start(workingDirectory, environment, arguments);
        return await running.WaitForExitAsync();
    }

    /// <summary>Starts the tool; standard input is closed, the outputs captured as they come.</summary>
    public static RunningCli Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("STACKHOOKS_", StringComparison.Ordinal) || k.StartsWith("PULUMI_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new RunningCli(start);
    }

    /// <summary>Sends a POSIX signal to a process, as a terminal's Ctrl-C (SIGINT) or a CI runner's cancel (SIGTERM) would.</summary>
    public static void Signal(int pid, int signal) => Assert.Equal(0, Kill(pid, signal));

    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint SetSignalHandler(int signal, nint handler);

    /// <summary>
    /// A shell starts a background job (<c>./test.sh &amp;</c>, CI runners that detach) with SIGINT ignored, the tool inherits
    /// that, and a process started with SIGINT ignored rightly keeps ignoring it: the Ctrl-C tests would then wait for an exit
    /// that never comes. The tool is meant to be tested as a foreground run, so the test process puts SIGINT back to its
    /// default when it finds it ignored (Linux, where /proc says so).
    /// </summary>
    private static void StopIgnoringInterrupts()
    {
        const string status = "/proc/self/status";
        if (!OperatingSystem.IsLinux() || !File.Exists(status))
        {
            return;
        }

        var ignored = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        if (ignored is not null && (Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & (1UL << (SIGINT - 1))) != 0)
        {
            SetSignalHandler(SIGINT, 0); // SIG_DFL
        }
    }

    private static string Locate()
    {
        var path = Environment.GetEnvironmentVariable("STACKHOOKS_CLI_DLL")
            ?? typeof(StackHooksCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "StackHooksCliPath").Value!;
        return File.Exists(path) ? path : throw new FileNotFoundException($"The built tool is not at {path}: build src/StackHooks.Cli first.", path);
    }
}

/// <summary>The tool running: its output so far, and waits (event-driven, with deadlines) for a line or for its exit.</summary>
public sealed class RunningCli : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);
    private readonly Process process;
    private readonly object gate = new();
    private readonly StringBuilder output = new();
    private readonly StringBuilder error = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RunningCli(ProcessStartInfo start)
    {
        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(error, e.Data);
        process.Exited += (_, _) => Append(error, null);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    public string StandardError
    {
        get
        {
            lock (gate)
            {
                return error.ToString();
            }
        }
    }

    /// <summary>Sends a POSIX signal, as a terminal's Ctrl-C (SIGINT) or a CI runner's cancel or systemd's stop (SIGTERM) would.</summary>
    public void Signal(int signal) => StackHooksCli.Signal(process.Id, signal);

    /// <summary>Waits until the tool has written <paramref name="text"/> to standard error.</summary>
    public async Task WaitForErrorOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            Task signal;
            lock (gate)
            {
                if (error.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                signal = changed.Task;
            }

            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero || process.HasExited)
            {
                throw new TimeoutException($"stackhooks did not write '{text}' within {timeout}; it wrote:\n{StandardError}");
            }

            await Task.WhenAny(signal, Task.Delay(left));
        }
    }

    /// <summary>Waits for the tool to exit (killing it after the timeout) and returns what it printed.</summary>
    public async Task<CliResult> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token); // also waits for the end of both outputs
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"stackhooks did not exit within {timeout ?? DefaultTimeout}:\n{StandardError}");
        }

        lock (gate)
        {
            return new CliResult(process.ExitCode, output.ToString(), error.ToString());
        }
    }

    private void Append(StringBuilder target, string? line)
    {
        TaskCompletionSource wake;
        lock (gate)
        {
            if (line is not null)
            {
                target.Append(line).Append('\n');
            }

            wake = changed;
            changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }

    public void Dispose() => process.Dispose();
}
