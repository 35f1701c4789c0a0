using System.Text.Json.Nodes;
using StackHooks.Events;
using StackHooks.Formats;
using StackHooks.Webhooks;

namespace StackHooks.Delivery;

/// <summary>Renders an event's raw payload into the body a webhook of a given format receives (SPEC §6).</summary>
public static class DeliveryBody
{
    public static string Render(string format, string eventName, string kind, JsonObject raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var body = format switch
        {
            WebhookFormats.Slack => SlackMessage.Render(eventName, kind, raw),
            WebhookFormats.MsTeams => TeamsMessage.Render(eventName, kind, raw),
            _ => raw, // raw, and pulumi_deployments (whose "delivery" queues a deployment and sends nothing)
        };
        return body.ToJsonString(RawPayload.Json);
    }
}
