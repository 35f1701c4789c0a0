using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace StackHooks.Bench;

/// <summary>The few StackHooks API calls the harness makes, over one pooled HTTP/1.1 client.</summary>
public sealed class Api : IDisposable
{
    public const string Org = "bench";
    public const string Project = "app";
    public const string Stack = "dev";

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient http;
    private readonly Uri eventsUri;

    public Api(string baseUrl, string token)
    {
        http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = 512,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
        eventsUri = new Uri($"/api/stacks/{Org}/{Project}/{Stack}/events", UriKind.Relative);
    }

    /// <summary>Organization <see cref="Org"/>, stack <see cref="Project"/>/<see cref="Stack"/>, and <paramref name="hooks"/> active organization hooks to the receiver.</summary>
    public async Task SetUpAsync(string receiverUrl, int hooks, CancellationToken ct)
    {
        await PostAsync("/api/orgs", new { name = Org }, ct);
        await PostAsync($"/api/stacks/{Org}/{Project}", new { stackName = Stack }, ct);
        for (var i = 1; i <= hooks; i++)
        {
            await PostAsync($"/api/orgs/{Org}/hooks", new
            {
                active = true,
                displayName = $"bench-{i}",
                organizationName = Org,
                payloadUrl = $"{receiverUrl}?hook={i}",
            }, ct);
        }
    }

    private async Task PostAsync(string path, object body, CancellationToken ct)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body));
        content.Headers.ContentType = Json;
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    /// <summary>Records an update_succeeded event whose payload carries <c>"version": version</c>; true on 202.</summary>
    public async Task<EventResult> PostEventAsync(long version, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"event":"update_succeeded","resourceChanges":{"create":1},"version":{{version}}}""");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsync(eventsUri, content, ct);
            var finished = Stopwatch.GetTimestamp();
            return new EventResult(response.StatusCode == HttpStatusCode.Accepted, (int)response.StatusCode, started, finished, null);
        }
        catch (Exception exception) when ((exception is HttpRequestException or TaskCanceledException) && !ct.IsCancellationRequested)
        {
            return new EventResult(false, 0, started, Stopwatch.GetTimestamp(), exception.GetType().Name + ": " + exception.Message);
        }
    }

    public void Dispose() => http.Dispose();
}

/// <summary>The outcome of one event POST, with Stopwatch timestamps of its start and of its response.</summary>
public readonly record struct EventResult(bool Accepted, int Status, long StartedAt, long FinishedAt, string? Error);
