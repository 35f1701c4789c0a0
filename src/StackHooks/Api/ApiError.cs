using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Metadata;

namespace StackHooks.Api;

/// <summary>
/// The one error shape of the API, as Pulumi Cloud answers: <c>{"code": 400, "message": "..."}</c>.
/// Every 4xx/5xx the service produces goes through here, whether from a handler, a filter or the pipeline.
/// </summary>
public sealed class ApiError : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public ApiError(int code, string message)
    {
        Code = code;
        Message = message;
    }

    public int Code { get; }

    public string Message { get; }

    int? IStatusCodeHttpResult.StatusCode => Code;

    public static ApiError BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    public static ApiError Unauthorized(string message = "Unauthorized: no valid access token was given in the Authorization header (\"Authorization: token <access-token>\").") =>
        new(StatusCodes.Status401Unauthorized, message);

    public static ApiError Forbidden(string message) => new(StatusCodes.Status403Forbidden, message);

    public static ApiError NotFound(string message) => new(StatusCodes.Status404NotFound, message);

    public static ApiError Conflict(string message) => new(StatusCodes.Status409Conflict, message);

    public static ApiError NotImplemented(string message) => new(StatusCodes.Status501NotImplemented, message);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return WriteAsync(httpContext.Response, Code, Message);
    }

    public static Task WriteAsync(HttpResponse response, int code, string message)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = code;
        response.Headers.CacheControl = "no-store";
        return response.WriteAsJsonAsync(new ErrorBody(code, message), ErrorJson);
    }

    /// <summary>Messages quote user input; minimal escaping keeps quotes readable (JSON responses are never inlined in HTML).</summary>
    private static readonly JsonTypeInfo<ErrorBody> ErrorJson = new ApiJsonContext(new JsonSerializerOptions(ApiJson.Options)).ErrorBody;

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var code in new[] { 400, 401, 403, 404, 409 })
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(code, typeof(ErrorBody), ["application/json"]));
        }
    }
}

/// <summary>The JSON body of every error response.</summary>
public sealed record ErrorBody(int Code, string Message);

[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
