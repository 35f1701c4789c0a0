namespace StackHooks.Webhooks;

/// <summary>Settings of section <c>StackHooks:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "StackHooks:Webhooks";

    /// <summary>Required prefix of <c>slack</c> payload URLs; empty allows any http(s) URL (local testing).</summary>
    public string SlackUrlPrefix { get; set; } = "https://hooks.slack.com/";
}
