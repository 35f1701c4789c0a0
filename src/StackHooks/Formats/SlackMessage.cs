using System.Text.Json.Nodes;

namespace StackHooks.Formats;

/// <summary>
/// The <c>slack</c> format (SPEC §6.2): a Slack incoming-webhook message with a one-line <c>text</c> for notifications and
/// Block Kit <c>blocks</c> — a header with the result, the organization/project/stack or environment and the event's
/// facts, resource changes, the message of a policy, who caused it, and a button to the update, deployment or environment.
/// Payload text only ever appears in mrkdwn, escaped, and is cut to Slack's documented limits.
/// </summary>
public static class SlackMessage
{
    // Slack's documented limits (Block Kit reference).
    public const int HeaderLength = 150;
    public const int SectionTextLength = 3000;
    public const int FieldsPerSection = 10;
    public const int FieldLength = 2000;
    public const int ButtonTextLength = 75;
    public const int UrlLength = 3000;
    public const int ContextElements = 10;
    public const int Blocks = 50;

    /// <summary>The longest top-level <c>text</c>: a notification shows a line, not a page.</summary>
    public const int SummaryLength = 300;

    public static JsonObject Render(string eventName, string kind, JsonObject raw)
    {
        var e = EventDescription.Of(eventName, kind, raw);
        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = PlainText(DisplayText.Limit($"{e.Marker} {e.Title}", HeaderLength)),
            },
        };

        // The organization/project/stack line, then the facts in Slack's two columns, ten to a section.
        var chunks = e.Facts.Chunk(FieldsPerSection).ToList();
        for (var i = 0; i < Math.Max(chunks.Count, e.Subject.Length > 0 ? 1 : 0); i++)
        {
            var section = new JsonObject { ["type"] = "section" };
            if (i == 0 && e.Subject.Length > 0)
            {
                section["text"] = Mrkdwn($"*{Escape(e.Subject, SectionTextLength - 2)}*");
            }

            if (i < chunks.Count)
            {
                var fields = new JsonArray();
                foreach (var fact in chunks[i])
                {
                    var label = $"*{fact.Title}*\n";
                    fields.Add(Mrkdwn(label + Escape(fact.Value, FieldLength - label.Length)));
                }

                section["fields"] = fields;
            }

            blocks.Add(section);
        }

        if (e.Changes.Count > 0)
        {
            const string label = "*Resource changes*\n";
            blocks.Add(Section(label + Escape(EventDescription.LongChanges(e.Changes), SectionTextLength - label.Length)));
        }

        if (e.Details is { } details)
        {
            // A quote: every line of the text starts with ">", which escaping keeps apart from the text's own ">".
            var label = e.DetailsTitle is null ? "" : $"*{e.DetailsTitle}*\n";
            var quoted = DisplayText.Limit(details, SectionTextLength - label.Length - 1, QuoteElement);
            blocks.Add(Section($"{label}>{quoted}"));
        }

        if (e.User is { } user)
        {
            var elements = new JsonArray();
            if (user.AvatarUrl is { } avatar)
            {
                elements.Add(new JsonObject { ["type"] = "image", ["image_url"] = avatar, ["alt_text"] = user.Display });
            }

            elements.Add(Mrkdwn($"{e.UserRole} *{Escape(user.Display, 500)}*"));
            blocks.Add(new JsonObject { ["type"] = "context", ["elements"] = elements });
        }

        if (e.Link is { Url.Length: <= UrlLength } link)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "actions",
                ["elements"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "button",
                        ["text"] = PlainText(DisplayText.Limit(link.Label, ButtonTextLength)),
                        ["url"] = link.Url,
                    },
                },
            });
        }

        return new JsonObject
        {
            ["text"] = Escape(e.Summary, SummaryLength),
            ["blocks"] = blocks,
        };
    }

    /// <summary>
    /// Escapes the three characters Slack's mrkdwn reserves (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>) and cuts the text to
    /// <paramref name="maxLength"/> characters after escaping.
    /// </summary>
    internal static string Escape(string text, int maxLength) => DisplayText.Limit(text, maxLength, EscapeElement);

    private static string EscapeElement(string element) =>
        element.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);

    private static string QuoteElement(string element) => EscapeElement(element).Replace("\n", "\n>", StringComparison.Ordinal);

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static JsonObject Section(string text) => new() { ["type"] = "section", ["text"] = Mrkdwn(text) };
}
