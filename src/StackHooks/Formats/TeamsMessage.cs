using System.Text.Json.Nodes;

namespace StackHooks.Formats;

/// <summary>
/// The <c>ms_teams</c> format (SPEC §6.3): a message for Microsoft Teams workflow webhooks carrying one Adaptive Card 1.4
/// with the same information as <see cref="SlackMessage"/> — a coloured heading with the result, a fact set, the message
/// of a policy — and an <c>Action.OpenUrl</c> to the update, deployment or environment when the payload links one.
/// </summary>
public static class TeamsMessage
{
    public const string ContentType = "application/vnd.microsoft.card.adaptive";
    public const string CardSchema = "http://adaptivecards.io/schemas/adaptive-card.json";
    public const string CardVersion = "1.4";

    /// <summary>The longest free text (a policy message) shown; a Teams message is at most about 28 KB in all.</summary>
    public const int DetailsLength = 3000;

    public static JsonObject Render(string eventName, string kind, JsonObject raw)
    {
        var e = EventDescription.Of(eventName, kind, raw);
        var (style, color) = e.Outcome switch
        {
            Outcome.Succeeded => ("good", "Good"),
            Outcome.Failed => ("attention", "Attention"),
            Outcome.Warning => ("warning", "Warning"),
            _ => ("emphasis", null),
        };

        var title = TextBlock($"{e.Marker} {e.Title}");
        title["size"] = "Large";
        title["weight"] = "Bolder";
        if (color is not null)
        {
            title["color"] = color;
        }

        var heading = new JsonArray { title };
        if (e.Subject.Length > 0)
        {
            var subject = TextBlock(e.Subject);
            subject["spacing"] = "None";
            subject["isSubtle"] = true;
            heading.Add(subject);
        }

        var body = new JsonArray
        {
            new JsonObject { ["type"] = "Container", ["style"] = style, ["bleed"] = true, ["items"] = heading },
        };

        var facts = new JsonArray();
        foreach (var fact in e.Facts)
        {
            facts.Add(Fact(fact.Title, fact.Value));
        }

        if (e.Changes.Count > 0)
        {
            facts.Add(Fact("Resource changes", EventDescription.LongChanges(e.Changes)));
        }

        if (e.User is { } user)
        {
            facts.Add(Fact(e.UserRole, user.Display));
        }

        if (facts.Count > 0)
        {
            body.Add(new JsonObject { ["type"] = "FactSet", ["facts"] = facts });
        }

        if (e.Details is { } details)
        {
            if (e.DetailsTitle is { } detailsTitle)
            {
                var label = TextBlock(detailsTitle);
                label["weight"] = "Bolder";
                body.Add(label);
            }

            var text = TextBlock(DisplayText.Limit(details, DetailsLength));
            if (e.DetailsTitle is not null)
            {
                text["spacing"] = "Small";
            }

            body.Add(text);
        }

        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["$schema"] = CardSchema,
            ["version"] = CardVersion,
            ["body"] = body,
        };
        if (e.Link is { } link)
        {
            card["actions"] = new JsonArray
            {
                new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = link.Label, ["url"] = link.Url },
            };
        }

        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray
            {
                new JsonObject { ["contentType"] = ContentType, ["contentUrl"] = null, ["content"] = card },
            },
        };
    }

    private static JsonObject TextBlock(string text) => new() { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true };

    private static JsonObject Fact(string title, string value) => new() { ["title"] = title, ["value"] = value };
}
