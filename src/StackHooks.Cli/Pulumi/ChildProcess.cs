using System.ComponentModel;
using System.Diagnostics;
using StackHooks.Cli.Reporting;

namespace StackHooks.Cli.Pulumi;

/// <summary>
/// Runs a program as a child with this process's standard streams and environment (plus additions), and returns its exit
/// code; signals reach it through a <see cref="SignalRelay"/>.
/// </summary>
public static class ChildProcess
{
    /// <summary>Exit code when the program cannot be found or run, as shells use it.</summary>
    public const int NotFoundExitCode = 127;

    /// <summary>Runs the program; null when it could not be started (the reason has been printed).</summary>
    public static async Task<int?> RunAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, string? workingDirectory,
        SignalRelay signals, Messages messages)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(signals);
        ArgumentNullException.ThrowIfNull(messages);
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        using var child = new Process { StartInfo = start };
        try
        {
            child.Start();
        }
        catch (Win32Exception e)
        {
            var notFound = e.NativeErrorCode == 2; // ENOENT, ERROR_FILE_NOT_FOUND
            messages.Error($"cannot run '{program}': {e.Message}{(notFound ? " (is it on PATH?)" : "")}");
            return null;
        }

        signals.Child = child;
        try
        {
            await child.WaitForExitAsync();
            return child.ExitCode;
        }
        finally
        {
            signals.Child = null;
        }
    }

    /// <summary>Runs a helper command (such as <c>pulumi stack --show-name</c>) with its output captured; null when it fails.</summary>
    public static async Task<string?> CaptureAsync(string program, IReadOnlyList<string> arguments, string? workingDirectory, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        try
        {
            using var child = Process.Start(start)!;
            child.StandardInput.Close();
            var output = child.StandardOutput.ReadToEndAsync();
            var errors = child.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await child.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                return null;
            }

            await Task.WhenAll(output, errors);
            return child.ExitCode == 0 ? await output : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }
}
