using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace StackHooks.Api;

/// <summary>
/// Turns everything the pipeline can reject before or around a handler into the API's JSON error shape:
/// unreadable bodies (400/413/415), unknown routes (404), wrong methods (405), over-long URLs (414) and
/// unhandled exceptions (500, logged with the request id — a 500 is always a bug).
/// </summary>
public static partial class ErrorHandling
{
    /// <summary>Longest path plus query accepted; Kestrel's own limit is raised above it so the answer is ours, in JSON.</summary>
    public const int MaxUrlLength = 8 * 1024;

    public const long MaxBodyBytes = 1024 * 1024;

    public static IServiceCollection AddApiErrorHandling(this IServiceCollection services)
    {
        // Minimal APIs otherwise answer an unreadable JSON body with an empty 400; throwing lets us say what was wrong.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddProblemDetails();
        return services;
    }

    public static IApplicationBuilder UseApiErrorHandling(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.Use(static (context, next) =>
        {
            var request = context.Request;
            var length = request.Path.Value?.Length + request.QueryString.Value?.Length ?? 0;
            if (length > MaxUrlLength)
            {
                return ApiError.WriteAsync(context.Response, StatusCodes.Status414UriTooLong,
                    $"The request URL is {length} characters long; at most {MaxUrlLength} are accepted.");
            }

            if (request.ContentLength > MaxBodyBytes)
            {
                return ApiError.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge,
                    $"The request body is {request.ContentLength} bytes; at most {MaxBodyBytes} bytes (1 MiB) are accepted.");
            }

            return next(context);
        });
        app.UseStatusCodePages(static async statusContext =>
        {
            var response = statusContext.HttpContext.Response;
            var message = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"No such resource: {statusContext.HttpContext.Request.Method} {Truncate(statusContext.HttpContext.Request.Path.Value)}.",
                StatusCodes.Status405MethodNotAllowed => $"Method {statusContext.HttpContext.Request.Method} is not allowed on {Truncate(statusContext.HttpContext.Request.Path.Value)}.",
                StatusCodes.Status413PayloadTooLarge => $"The request body is larger than {MaxBodyBytes} bytes (1 MiB).",
                StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON, sent with \"Content-Type: application/json\".",
                StatusCodes.Status401Unauthorized => ApiError.Unauthorized().Message,
                StatusCodes.Status403Forbidden => "Forbidden.",
                var code => $"The request failed with status {code}.",
            };
            await ApiError.WriteAsync(response, response.StatusCode, message);
        });
        return app;
    }

    private static string Truncate(string? value) =>
        value is null ? "" : value.Length <= 200 ? value : string.Concat(value.AsSpan(0, 200), "…");

    /// <summary>Says, in a sentence naming the field, why a JSON body could not be read.</summary>
    internal static string DescribeJsonError(JsonException exception)
    {
        var path = exception.Path ?? "$";
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        var isTypeError = exception.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);
        if (isTypeError)
        {
            return field is null ? "The request body must be a JSON object." : $"Field '{field}' must be {ExpectedType(field)}.";
        }

        // Syntax errors: keep the parser's description but not its internals.
        var detail = exception.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].Trim();
        return field is null
            ? $"The request body is not valid JSON: {detail}"
            : $"The request body is not valid JSON near field '{field}': {detail}";
    }

    /// <summary>Property types of every request body, by JSON name, so a type error can say what was expected.</summary>
    private static readonly Lazy<Dictionary<string, Type>> RequestFields = new(() =>
        typeof(ErrorHandling).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Request", StringComparison.Ordinal) && t.Namespace?.StartsWith("StackHooks", StringComparison.Ordinal) == true)
            .SelectMany(t => t.GetProperties())
            .GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().PropertyType, StringComparer.OrdinalIgnoreCase));

    private static string ExpectedType(string field)
    {
        var end = field.IndexOfAny(['.', '[']);
        var name = end < 0 ? field : field[..end];
        if (!RequestFields.Value.TryGetValue(name, out var type))
        {
            return "of another type";
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        if (end >= 0 && field[end] == '[' && type.IsArray)
        {
            type = type.GetElementType()!;
        }

        return type switch
        {
            _ when type == typeof(bool) => "a boolean (true or false)",
            _ when type == typeof(string) => "a string",
            _ when type == typeof(int) || type == typeof(long) => "an integer",
            _ when type.IsArray && type.GetElementType() == typeof(string) => "an array of strings",
            _ when type.IsArray => "an array",
            _ => "a JSON object",
        };
    }

    private sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is BadHttpRequestException bad)
            {
                var message = bad.InnerException switch
                {
                    JsonException json => DescribeJsonError(json),
                    _ when bad.StatusCode == StatusCodes.Status413PayloadTooLarge => $"The request body is larger than {MaxBodyBytes} bytes (1 MiB).",
                    _ when bad.StatusCode == StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON, sent with \"Content-Type: application/json\".",
                    _ when bad.Message.Contains("no body was provided", StringComparison.OrdinalIgnoreCase) => "A JSON request body is required.",
                    _ => $"The request could not be read: {bad.Message}",
                };
                await ApiError.WriteAsync(httpContext.Response, bad.StatusCode, message);
                return true;
            }

            if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
            {
                return true; // the client went away; nobody is listening for an answer
            }

            LogUnhandled(logger, exception, httpContext.TraceIdentifier);
            await ApiError.WriteAsync(httpContext.Response, StatusCodes.Status500InternalServerError,
                $"Internal server error (request id {httpContext.TraceIdentifier}). This is a bug in StackHooks; the details are in the server log.");
            return true;
        }

        [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception in request {RequestId}")]
        private static partial void LogUnhandled(ILogger logger, Exception exception, string requestId);
    }
}
