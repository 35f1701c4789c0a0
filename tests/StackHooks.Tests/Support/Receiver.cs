using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace StackHooks.Tests.Support;

/// <summary>One request a <see cref="Receiver"/> got, exactly as it arrived.</summary>
public sealed record RecordedRequest(
    int Sequence, string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTimeOffset ArrivedAt)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    /// <summary>The header's value (several values joined with ", "), or null when the request did not carry it.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public string? WebhookId => Header("Pulumi-Webhook-Id");

    public string? WebhookKind => Header("Pulumi-Webhook-Kind");
}

/// <summary>How a <see cref="Receiver"/> answers one request.</summary>
public sealed record ReceiverResponse(
    int Status = 200, IReadOnlyDictionary<string, string>? Headers = null, string Body = "", TimeSpan Delay = default, bool Hang = false)
{
    public static ReceiverResponse Ok { get; } = new();

    public static ReceiverResponse Code(int status, string body = "") => new(status, Body: body);

    /// <summary>Never answers: the request stays open until the client gives up (or the receiver is disposed).</summary>
    public static ReceiverResponse HangUntilCancelled { get; } = new(Hang: true);

    public static ReceiverResponse WithHeader(int status, string name, string value, string body = "") =>
        new(status, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [name] = value }, body);
}

/// <summary>
/// A real HTTP receiver for deliveries: Kestrel on 127.0.0.1 with a free port. Records every request (method, path, headers,
/// exact body bytes, arrival time) and answers as scripted per path (200 with an empty body when nothing is scripted).
/// Waiting is event-driven with a deadline: <see cref="WaitForAsync"/> wakes on every arrival, never sleeps a fixed time.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly object gate = new();
    private readonly List<RecordedRequest> requests = [];
    private readonly Dictionary<string, Func<RecordedRequest, int, ReceiverResponse>> scripts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> counts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private TaskCompletionSource arrived = NewSignal();
    private WebApplication? app;

    private Receiver()
    {
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    public static async Task<Receiver> StartAsync()
    {
        var receiver = new Receiver();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseAddress = new Uri(address);
        return receiver;
    }

    /// <summary>The absolute URL of <paramref name="path"/> on this receiver (a payload URL).</summary>
    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <summary>The requests that arrived at <paramref name="path"/>, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> On(string path) => Requests.Where(r => r.Path == path).ToList();

    /// <summary>Answers requests to <paramref name="path"/> with the responses in order; the last one repeats.</summary>
    public Receiver Respond(string path, params ReceiverResponse[] sequence)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sequence.Length);
        return Respond(path, (_, n) => sequence[Math.Min(n, sequence.Length - 1)]);
    }

    /// <summary>Answers requests to <paramref name="path"/> with what <paramref name="script"/> says (given the request and how many came before it).</summary>
    public Receiver Respond(string path, Func<RecordedRequest, int, ReceiverResponse> script)
    {
        lock (gate)
        {
            scripts[path] = script;
            counts[path] = 0;
        }

        return this;
    }

    /// <summary>The first request (oldest first) matching <paramref name="predicate"/>, waiting for it until <paramref name="timeout"/>.</summary>
    public async Task<RecordedRequest> WaitForAsync(Func<RecordedRequest, bool> predicate, TimeSpan timeout)
    {
        var matches = await WaitUntilAsync(all => all.Where(predicate).ToList() is { Count: > 0 } found ? found : null, timeout,
            () => "no matching request");
        return matches[0];
    }

    /// <summary>Waits until at least <paramref name="count"/> requests match (all requests when no predicate), and returns them.</summary>
    public Task<IReadOnlyList<RecordedRequest>> WaitForCountAsync(int count, TimeSpan timeout, Func<RecordedRequest, bool>? predicate = null) =>
        WaitUntilAsync(
            all => all.Where(predicate ?? (_ => true)).ToList() is { } found && found.Count >= count ? found : null,
            timeout,
            () => $"wanted {count} matching requests, got {Requests.Count(predicate ?? (_ => true))}");

    private async Task<IReadOnlyList<RecordedRequest>> WaitUntilAsync(
        Func<IReadOnlyList<RecordedRequest>, IReadOnlyList<RecordedRequest>?> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            Task signal;
            IReadOnlyList<RecordedRequest> snapshot;
            lock (gate)
            {
                signal = arrived.Task;
                snapshot = [.. requests];
            }

            if (condition(snapshot) is { } result)
            {
                return result;
            }

            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                const int shown = 20;
                var seen = string.Join("\n", snapshot.TakeLast(shown).Select(r => $"  #{r.Sequence} {r.Method} {r.Path} kind={r.WebhookKind} id={r.WebhookId}"));
                throw new TimeoutException(
                    $"Receiver: {describe()} within {timeout}. {snapshot.Count} requests so far{(snapshot.Count > shown ? $", the last {shown}" : "")}:\n{seen}");
            }

            try
            {
                await signal.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // the deadline passed: look once more, then give up
            }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        ReceiverResponse response;
        TaskCompletionSource wake;
        lock (gate)
        {
            var recorded = new RecordedRequest(requests.Count + 1, request.Method, request.Path.Value ?? "", headers, body.ToArray(), DateTimeOffset.UtcNow);
            requests.Add(recorded);
            if (scripts.TryGetValue(recorded.Path, out var script))
            {
                var before = counts[recorded.Path];
                counts[recorded.Path] = before + 1;
                response = script(recorded, before);
            }
            else
            {
                response = ReceiverResponse.Ok;
            }

            wake = arrived;
            arrived = NewSignal();
        }

        wake.TrySetResult();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        try
        {
            if (response.Hang)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, linked.Token);
            }
            else if (response.Delay > TimeSpan.Zero)
            {
                await Task.Delay(response.Delay, linked.Token);
            }
        }
        catch (OperationCanceledException)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body.Length > 0)
        {
            await context.Response.WriteAsync(response.Body, context.RequestAborted);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        stopping.Dispose();
    }
}
