using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace StackHooks.Bench;

/// <summary>Resident memory of a process from /proc/PID/status, in KiB.</summary>
public readonly record struct MemorySample(long RssKb, long HwmKb)
{
    public double RssMb => RssKb / 1024.0;

    public double HwmMb => HwmKb / 1024.0;
}

/// <summary>
/// A StackHooks server started by the harness: <c>dotnet StackHooks.dll --urls http://127.0.0.1:PORT</c> with its own data
/// directory. Output goes to a log file. Stopped with SIGTERM (graceful), then SIGKILL after a grace period — always by
/// its own PID. Every process started is remembered so that <see cref="KillAllStarted"/> can stop them on an abort.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private static readonly ConcurrentDictionary<int, Process> Started = new();

    private readonly Process process;
    private readonly StreamWriter log;
    private readonly Lock logLock = new();

    private ServerProcess(Process process, StreamWriter log, string url, string logPath, long launchedAt)
    {
        this.process = process;
        this.log = log;
        Url = url;
        LogPath = logPath;
        LaunchedAt = launchedAt;
    }

    public string Url { get; }

    public string LogPath { get; }

    public int Pid => process.Id;

    /// <summary>Stopwatch timestamp just before the process was launched.</summary>
    public long LaunchedAt { get; }

    /// <summary>Stopwatch timestamp at which /healthz first answered 200.</summary>
    public long ReadyAt { get; private set; }

    public bool HasExited => process.HasExited;

    /// <param name="settings">Extra configuration (e.g. <c>StackHooks:Delivery:MaxConcurrencyPerWebhook</c>), passed as environment variables.</param>
    public static async Task<ServerProcess> StartAsync(
        string serverDll, string dataDirectory, bool dispatch, string adminToken, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Directory.CreateDirectory(dataDirectory);
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet")
        {
            // The server's own directory is its content root, so its appsettings.json applies as in a deployment.
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(serverDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["StackHooks__DataDirectory"] = dataDirectory;
        info.Environment["STACKHOOKS_ADMIN_TOKEN"] = adminToken;
        info.Environment["StackHooks__Delivery__AllowPrivateNetworks"] = "true";
        info.Environment["StackHooks__Delivery__Dispatch"] = dispatch ? "true" : "false";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var logPath = Path.Combine(dataDirectory, $"server-{(dispatch ? "dispatch" : "api")}-{DateTime.UtcNow:HHmmssfff}.log");
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var launchedAt = Stopwatch.GetTimestamp();
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        if (!process.Start())
        {
            await log.DisposeAsync();
            throw new InvalidOperationException("dotnet did not start.");
        }

        Started[process.Id] = process;
        var server = new ServerProcess(process, log, url, logPath, launchedAt);
        process.OutputDataReceived += (_, e) => server.Write(e.Data);
        process.ErrorDataReceived += (_, e) => server.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitHealthyAsync(TimeSpan.FromSeconds(90), ct);
        return server;
    }

    /// <summary>Log entries at level Error or Critical (console lines starting "fail:" or "crit:") so far.</summary>
    public int LoggedErrors { get; private set; }

    /// <summary>The message line of the first Error/Critical entry, if any.</summary>
    public string? FirstLoggedError { get; private set; }

    private int captureLines;

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (logLock)
        {
            log.WriteLine(line);
            if (line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
            {
                LoggedErrors++;
                captureLines = LoggedErrors == 1 ? 2 : 0; // the message and the exception's first line
            }
            else if (captureLines > 0 && line.Trim().Length > 0)
            {
                FirstLoggedError = FirstLoggedError is null ? line.Trim() : $"{FirstLoggedError} — {line.Trim()}";
                captureLines--;
            }
        }
    }

    private async Task WaitHealthyAsync(TimeSpan limit, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {process.ExitCode} before it was healthy.\n{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"{Url}/healthz"), ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ReadyAt = Stopwatch.GetTimestamp();
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // slow start
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"The server was not healthy within {limit.TotalSeconds:0} s.\n{Tail()}");
    }

    /// <summary>VmRSS and VmHWM (peak resident set) of the server; zeros once it has exited.</summary>
    public MemorySample Memory()
    {
        try
        {
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = ParseKb(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = ParseKb(line);
                }
            }

            return new MemorySample(rss, hwm);
        }
        catch (IOException)
        {
            return default;
        }
    }

    /// <summary>User + system CPU seconds the server has used so far (from /proc/PID/stat).</summary>
    public double CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": field 3 is state (index 0), utime is field 14 (index 11), stime field 15 (index 12).
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / (double)ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long ParseKb(string line)
    {
        var digits = line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
        var space = digits.IndexOf(' ');
        return long.Parse(space < 0 ? digits : digits[..space], CultureInfo.InvariantCulture);
    }

    /// <summary>Graceful stop: SIGTERM, wait, then SIGKILL. Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!process.HasExited)
        {
            _ = Kill(process.Id, SigTerm);
            using var wait = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                Write($"[bench] no exit within {grace.TotalSeconds:0} s of SIGTERM: killing PID {process.Id}");
                process.Kill(entireProcessTree: false);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        Started.TryRemove(process.Id, out _);
        return process.ExitCode;
    }

    /// <summary>The last lines of the server's log, for error messages.</summary>
    public string Tail(int lines = 30)
    {
        lock (logLock)
        {
            log.Flush();
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Kills, by PID, every server this harness started and has not stopped yet (Ctrl+C, crash).</summary>
    public static void KillAllStarted()
    {
        foreach (var (pid, process) in Started)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: false);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            Started.TryRemove(pid, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(15));
        process.Dispose();
        lock (logLock)
        {
            log.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static readonly long ClockTicksPerSecond = SysConf(2) is var t && t > 0 ? t : 100; // _SC_CLK_TCK

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
