using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace StackHooks.Tests.Formats;

/// <summary>
/// Slack's documented Block Kit limits and mrkdwn escaping, checked in-process (tests/formats-validation/check-slack.mjs
/// checks the same with Slack's own types on top).
/// </summary>
public static partial class SlackLimits
{
    public static List<string> Problems(JsonObject message)
    {
        var problems = new List<string>();
        var text = message["text"]?.GetValue<string>();
        if (string.IsNullOrEmpty(text))
        {
            problems.Add("text: missing");
        }
        else
        {
            if (text.Contains('\n', StringComparison.Ordinal))
            {
                problems.Add("text: not one line");
            }

            Mrkdwn("text", text, problems);
        }

        if (message["blocks"] is not JsonArray blocks || blocks.Count is 0 or > 50)
        {
            problems.Add("blocks: must hold 1 to 50 blocks");
            return problems;
        }

        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i]!.AsObject();
            var at = $"blocks[{i}] ({block["type"]})";
            switch (block["type"]!.GetValue<string>())
            {
                case "header":
                    Text($"{at}.text", block["text"], 150, problems, plainOnly: true);
                    break;
                case "section":
                    if (block["text"] is null && block["fields"] is null)
                    {
                        problems.Add($"{at}: neither text nor fields");
                    }

                    if (block["text"] is { } sectionText)
                    {
                        Text($"{at}.text", sectionText, 3000, problems);
                    }

                    if (block["fields"] is JsonArray fields)
                    {
                        if (fields.Count is 0 or > 10)
                        {
                            problems.Add($"{at}.fields: {fields.Count} fields");
                        }

                        for (var j = 0; j < fields.Count; j++)
                        {
                            Text($"{at}.fields[{j}]", fields[j], 2000, problems);
                        }
                    }

                    break;
                case "context":
                    var elements = block["elements"]!.AsArray();
                    if (elements.Count is 0 or > 10)
                    {
                        problems.Add($"{at}.elements: {elements.Count} elements");
                    }

                    foreach (var element in elements)
                    {
                        if (element!["type"]!.GetValue<string>() == "image")
                        {
                            Url($"{at} image", element["image_url"]!.GetValue<string>(), problems);
                        }
                        else
                        {
                            Text($"{at} element", element, 3000, problems);
                        }
                    }

                    break;
                case "actions":
                    foreach (var button in block["elements"]!.AsArray())
                    {
                        Text($"{at} button", button!["text"], 75, problems, plainOnly: true);
                        Url($"{at} button", button["url"]!.GetValue<string>(), problems);
                    }

                    break;
                default:
                    problems.Add($"{at}: unexpected block type");
                    break;
            }
        }

        return problems;
    }

    /// <summary>Every mrkdwn text of the message, the top-level text included.</summary>
    public static IEnumerable<string> MrkdwnTexts(JsonObject message) =>
        Descendants(message["blocks"]!)
            .OfType<JsonObject>()
            .Where(o => o["type"] is JsonValue type && type.GetValue<string>() == "mrkdwn")
            .Select(o => o["text"]!.GetValue<string>())
            .Prepend(message["text"]!.GetValue<string>());

    /// <summary>Every node under <paramref name="node"/>, itself included.</summary>
    public static IEnumerable<JsonNode> Descendants(JsonNode node)
    {
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>().SelectMany(Descendants))
        {
            yield return child;
        }
    }

    private static void Text(string at, JsonNode? node, int max, List<string> problems, bool plainOnly = false)
    {
        var type = node?["type"]?.GetValue<string>();
        var text = node?["text"]?.GetValue<string>();
        if (type is not ("plain_text" or "mrkdwn") || (plainOnly && type != "plain_text"))
        {
            problems.Add($"{at}: text type {type}");
        }

        if (string.IsNullOrEmpty(text) || text.Length > max)
        {
            problems.Add($"{at}: {text?.Length ?? 0} characters, limit {max}");
            return;
        }

        if (type == "mrkdwn")
        {
            Mrkdwn(at, text, problems);
        }
    }

    private static void Url(string at, string url, List<string> problems)
    {
        if (url.Length > 3000 || !url.StartsWith("http", StringComparison.Ordinal))
        {
            problems.Add($"{at}: url {url[..Math.Min(url.Length, 40)]}… ({url.Length} characters)");
        }
    }

    private static void Mrkdwn(string at, string text, List<string> problems)
    {
        if (text.Contains('<', StringComparison.Ordinal))
        {
            problems.Add($"{at}: raw '<' in mrkdwn");
        }

        if (UnescapedAmpersand().IsMatch(text))
        {
            problems.Add($"{at}: unescaped '&' in mrkdwn");
        }

        if (text.Split('\n').Any(line => line.Length > 1 && line[1..].Contains('>', StringComparison.Ordinal)))
        {
            problems.Add($"{at}: raw '>' inside a line of mrkdwn");
        }
    }

    [GeneratedRegex("&(?!amp;|lt;|gt;)")]
    private static partial Regex UnescapedAmpersand();
}
