using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace StackHooks.Cli.Tests.Support;

/// <summary>A delivery as the receiver got it: the <c>Pulumi-Webhook-Kind</c> header and the JSON body.</summary>
public sealed record Delivery(string Kind, JsonObject Payload)
{
    /// <summary>The event's filter name, read back from the payload (SPEC §6.1): update_succeeded, policy_violation_mandatory, …</summary>
    public string Event => Kind switch
    {
        "stack_update" => $"{Text("kind")}_{Text("result")}",
        "stack_preview" => $"preview_{Text("result")}",
        "policy_violation" => $"policy_violation_{Text("enforcementLevel")}",
        "stack" => $"stack_{Text("action")}",
        "deployment" => $"deployment_{Text("status") switch { "running" => "started", var s => s }}",
        _ => Kind,
    };

    public string? StackName => Text("stackName");

    public string? Text(string name) => Payload[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>
/// A real webhook receiver on loopback (Kestrel, a free port) that records every delivery. Waiting is event-driven with
/// a deadline: it wakes on each arrival.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly object gate = new();
    private readonly List<Delivery> deliveries = [];
    private TaskCompletionSource arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? app;

    public Uri Url { get; private set; } = null!;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.app = app;
        receiver.Url = new Uri(new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()), "/hook");
        return receiver;
    }

    /// <summary>The deliveries for <paramref name="stack"/> so far, in arrival order.</summary>
    public IReadOnlyList<Delivery> For(string stack)
    {
        lock (gate)
        {
            return deliveries.Where(d => d.StackName == stack).ToList();
        }
    }

    /// <summary>Waits until <paramref name="count"/> deliveries for <paramref name="stack"/> match <paramref name="predicate"/>, and returns them.</summary>
    public async Task<IReadOnlyList<Delivery>> WaitForAsync(string stack, Func<Delivery, bool> predicate, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            Task signal;
            lock (gate)
            {
                signal = arrived.Task;
            }

            var matching = For(stack).Where(predicate).ToList();
            if (matching.Count >= count)
            {
                return matching;
            }

            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException(
                    $"wanted {count} matching deliveries for {stack}, got {matching.Count}; all: {string.Join(", ", For(stack).Select(d => d.Event))}");
            }

            await Task.WhenAny(signal, Task.Delay(left));
        }
    }

    /// <summary>Waits for the one delivery of <paramref name="eventName"/> for <paramref name="stack"/>.</summary>
    public async Task<Delivery> WaitForEventAsync(string stack, string eventName) =>
        (await WaitForAsync(stack, d => d.Event == eventName))[0];

    private async Task HandleAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body);
        var delivery = new Delivery(context.Request.Headers["Pulumi-Webhook-Kind"].ToString(), body as JsonObject ?? []);
        TaskCompletionSource wake;
        lock (gate)
        {
            deliveries.Add(delivery);
            wake = arrived;
            arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
        context.Response.StatusCode = 200;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
