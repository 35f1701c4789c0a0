using System.Text.Encodings.Web;
using System.Text.Json;

namespace StackHooks.Api;

/// <summary>JSON settings shared by responses, stored bodies and payloads.</summary>
public static class ApiJson
{
    /// <summary>
    /// Web defaults (camelCase) with relaxed escaping: quotes, '+' and non-ASCII text stay readable. Safe because this JSON
    /// is served as application/json or sent to receivers, never inlined into HTML.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>ISO-8601 UTC with milliseconds, the form every timestamp in the API takes.</summary>
    public static string Iso(long unixMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
