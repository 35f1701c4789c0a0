using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StackHooks.Cli.Reporting;

/// <summary>How a request ended: done, worth retrying (no connection, timeout, 5xx, 408, 429), or refused for good (other 4xx).</summary>
public enum AnswerKind
{
    Success,
    Transient,
    Rejected,
}

/// <summary>The server's answer to one request, or why there was none.</summary>
public sealed record Answer(AnswerKind Kind, int Status, string Body, string Problem, TimeSpan? RetryAfter = null)
{
    /// <summary>The body as JSON, or null.</summary>
    public JsonNode? Json
    {
        get
        {
            try
            {
                return Body.Length == 0 ? null : JsonNode.Parse(Body);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}

/// <summary>The StackHooks REST API as the tool uses it: one attempt per call, each classified as an <see cref="Answer"/>.</summary>
public sealed class StackHooksClient : IDisposable
{
    private readonly HttpClient http;

    public StackHooksClient(Connection connection, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(connection.Url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", connection.Token);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("stackhooks-cli", typeof(StackHooksClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public async Task<Answer> SendAsync(string method, string path, JsonObject? body, string? idempotencyKey, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, attempt.Token);
            var text = await response.Content.ReadAsStringAsync(attempt.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new Answer(AnswerKind.Success, status, text, "");
            }

            var problem = $"{status} {ErrorMessage(text, response.ReasonPhrase)}";
            return status is 408 or 429 || status >= 500
                ? new Answer(AnswerKind.Transient, status, text, problem, RetryAfter(response))
                : new Answer(AnswerKind.Rejected, status, text, problem);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Answer(AnswerKind.Transient, 0, "", $"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return new Answer(AnswerKind.Transient, 0, "", Describe(e));
        }
    }

    public void Dispose() => http.Dispose();

    /// <summary>The <c>message</c> of the API's error shape, else the body's first line, else the reason phrase.</summary>
    private static string ErrorMessage(string body, string? reason)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject error && error["message"] is JsonValue message && message.TryGetValue<string>(out var text))
            {
                return text;
            }
        }
        catch (JsonException)
        {
            // not the API's error shape
        }

        var firstLine = body.Split('\n', 2)[0].Trim();
        return firstLine.Length is > 0 and <= 300 ? firstLine : reason ?? "";
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null;
    }

    private static string Describe(HttpRequestException e)
    {
        var inner = e.InnerException?.Message;
        return e.HttpRequestError switch
        {
            HttpRequestError.ConnectionError => $"could not connect ({inner ?? e.Message})",
            HttpRequestError.NameResolutionError => $"could not resolve the host name ({inner ?? e.Message})",
            _ => inner is null ? e.Message : $"{e.Message} ({inner})",
        };
    }

    /// <summary>True for statuses that say the token is not good enough: nothing else will go through either.</summary>
    public static bool IsAuthenticationProblem(int status) => status is (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden;
}
