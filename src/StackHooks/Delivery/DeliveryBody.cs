using System.Text.Json.Nodes;
using StackHooks.Events;

namespace StackHooks.Delivery;

/// <summary>Renders an event's raw payload into the body a webhook of a given format receives.</summary>
public static class DeliveryBody
{
    public static string Render(string format, string eventName, string kind, JsonObject raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return raw.ToJsonString(RawPayload.Json);
    }
}
