using System.Text.Json;

namespace StackHooks.Api;

/// <summary>JSON settings shared by responses, stored bodies and payloads.</summary>
public static class ApiJson
{
    /// <summary>
    /// Web defaults (camelCase), escaping only what JSON requires (<see cref="MinimalJsonEncoder"/>): quotes, '+' and
    /// non-ASCII text, emoji included, stay as they are.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Encoder = MinimalJsonEncoder.Instance };

    /// <summary>ISO-8601 UTC with milliseconds, the form every timestamp in the API takes.</summary>
    public static string Iso(long unixMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
