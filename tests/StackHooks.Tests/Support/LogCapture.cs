using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StackHooks.Tests.Support;

/// <summary>Keeps every log line the app writes (message and exception), so tests can look for what must or must not be logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>The app with every log line captured, at every level.</summary>
public class LoggedStackHooksApp : StackHooksApp
{
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<ILoggerProvider>(Logs);
            services.AddLogging(logging => logging.AddFilter<LogCapture>(null, LogLevel.Trace));
        });
    }
}

/// <summary>The app started on an empty database without STACKHOOKS_ADMIN_TOKEN: it must generate the first token.</summary>
public sealed class GeneratedAdminTokenApp : LoggedStackHooksApp
{
    public GeneratedAdminTokenApp() => With("STACKHOOKS_ADMIN_TOKEN", "");
}
