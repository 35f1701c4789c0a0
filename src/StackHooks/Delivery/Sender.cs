using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Options;
using StackHooks.Deployments;
using StackHooks.Security;

namespace StackHooks.Delivery;

/// <summary>
/// Sends one attempt of a delivery (SPEC §5): POST of the stored body with the Pulumi headers and signature, the
/// configured timeout, no redirects, and the response recorded (headers, first 64 KiB of the body). A
/// <c>pulumi_deployments</c> webhook's attempt queues a deployment instead (<see cref="DeploymentTrigger"/>).
/// </summary>
public sealed class Sender(
    IHttpClientFactory clients, SecretBox secrets, DeploymentTrigger deployments, TimeProvider time, IOptions<DeliveryOptions> options)
{
    public const string ClientName = "deliveries";
    public const int MaxResponseBodyBytes = 64 * 1024;

    public static readonly string UserAgent =
        $"StackHooks/{typeof(Sender).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0"}";

    /// <summary>The handler every delivery goes through: no redirects, no cookies, the destination guard on connect.</summary>
    public static SocketsHttpHandler CreateHandler(DeliveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = options.Timeout,
            ConnectCallback = DestinationGuard.ConnectCallback(options.AllowPrivateNetworks),
            ActivityHeadersPropagator = null, // receivers get the Pulumi headers only, no traceparent
        };
    }

    public async Task<AttemptResult> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var attempt = work.Attempts + 1;
        var startedAt = time.GetUtcNow();
        if (work.Format == Webhooks.WebhookFormats.PulumiDeployments)
        {
            return await deployments.QueueAsync(work, cancellationToken); // no HTTP request: the event queues a deployment
        }

        var stopwatch = Stopwatch.StartNew();
        var body = Encoding.UTF8.GetBytes(work.Payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, work.PayloadUrl) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.ParseAdd("*/*");
        request.Headers.UserAgent.ParseAdd(UserAgent);
        request.Headers.Add("Pulumi-Webhook-Id", work.Id);
        request.Headers.Add("Pulumi-Webhook-Kind", work.Kind);
        if (work.SecretEncrypted is not null)
        {
            request.Headers.Add("Pulumi-Webhook-Signature", Signer.Sign(body, secrets.Decrypt(work.SecretEncrypted)));
        }

        var requestHeaders = FormatHeaders(request.Headers, request.Content.Headers);
        using var timeout = new CancellationTokenSource(options.Value.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var responseBody = await ReadCappedAsync(response.Content, linked.Token);
            var code = (int)response.StatusCode;
            string? error = code switch
            {
                >= 200 and < 300 => null,
                >= 300 and < 400 => $"HTTP {code}: redirects are not followed",
                _ => $"HTTP {code}",
            };
            var retryAfter = code is 429 or 503 ? RetrySchedule.ParseRetryAfter(response.Headers, time.GetUtcNow()) : null;
            return new AttemptResult(work.Id, attempt, startedAt.ToUnixTimeMilliseconds(), stopwatch.ElapsedMilliseconds, work.PayloadUrl,
                requestHeaders, code, FormatHeaders(response.Headers, response.Content.Headers), responseBody, error, retryAfter);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or IOException or InvalidOperationException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw; // shutting down: nothing was decided about this attempt
            }

            return new AttemptResult(work.Id, attempt, startedAt.ToUnixTimeMilliseconds(), stopwatch.ElapsedMilliseconds, work.PayloadUrl,
                requestHeaders, 0, "", "", Describe(exception, timeout.IsCancellationRequested), null);
        }
    }

    private string Describe(Exception exception, bool timedOut)
    {
        if (timedOut)
        {
            return $"timeout: no response within {options.Value.Timeout.TotalSeconds:0.###} s";
        }

        if (DestinationGuard.BlockedReason(exception) is { } reason)
        {
            return $"blocked destination: {reason}";
        }

        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "could not resolve host",
                    SocketError.ConnectionReset => "connection reset by the receiver",
                    SocketError.TimedOut => "connection timed out",
                    var other => $"network error: {other}",
                };
            }
        }

        return exception is InvalidOperationException ? $"invalid payload URL: {exception.Message}" : exception.Message;
    }

    private static async Task<string> ReadCappedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxResponseBodyBytes);
        try
        {
            var total = 0;
            int read;
            while (total < MaxResponseBodyBytes && (read = await stream.ReadAsync(buffer.AsMemory(total, MaxResponseBodyBytes - total), ct)) > 0)
            {
                total += read;
            }

            return Encoding.UTF8.GetString(buffer, 0, total);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Headers as <c>Name: value\r\n</c> lines, the form WebhookDelivery records them in.</summary>
    public static string FormatHeaders(HttpHeaders headers, HttpHeaders? contentHeaders)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var builder = new StringBuilder();
        foreach (var set in contentHeaders is null ? [headers] : new[] { headers, contentHeaders })
        {
            foreach (var (name, values) in set)
            {
                builder.Append(name).Append(": ").AppendJoin(", ", values).Append("\r\n");
            }
        }

        return builder.ToString();
    }
}
