using System.Text.Json.Nodes;
using StackHooks.Formats;

namespace StackHooks.Tests.Formats;

public sealed class TeamsMessageTests
{
    public static TheoryData<string> AllEvents => [.. FormatExamples.Events.Select(e => e.Event)];

    public static TheoryData<string> EdgeCases => [.. FormatExamples.EdgeCases().Select(e => e.Name)];

    private static JsonObject Render(string eventName, JsonObject? raw = null) =>
        TeamsMessage.Render(eventName, FormatExamples.KindOf(eventName), raw ?? FormatExamples.Raw(eventName));

    private static JsonObject Card(JsonObject message) => message["attachments"]![0]!["content"]!.AsObject();

    private static JsonObject Heading(JsonObject message) => Card(message)["body"]![0]!["items"]![0]!.AsObject();

    private static Dictionary<string, string> Facts(JsonObject message) =>
        Card(message)["body"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "FactSet")!["facts"]!.AsArray()
            .ToDictionary(f => f!["title"]!.GetValue<string>(), f => f!["value"]!.GetValue<string>());

    private static IEnumerable<string> Texts(JsonObject message) =>
        SlackLimits.Descendants(Card(message)).OfType<JsonObject>()
            .SelectMany(o => new[] { o["text"], o["value"], o["title"] })
            .OfType<JsonValue>().Select(v => v.GetValue<string>());

    [Theory]
    [MemberData(nameof(AllEvents))]
    public void EveryMessageIsOneAdaptiveCard14ForTeamsWorkflows(string eventName)
    {
        var message = Render(eventName);

        Assert.Equal("message", message["type"]!.GetValue<string>());
        var attachment = Assert.Single(message["attachments"]!.AsArray())!.AsObject();
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment["contentType"]!.GetValue<string>());
        Assert.True(attachment.ContainsKey("contentUrl"));
        Assert.Null(attachment["contentUrl"]);
        var card = Card(message);
        Assert.Equal("AdaptiveCard", card["type"]!.GetValue<string>());
        Assert.Equal("1.4", card["version"]!.GetValue<string>());
        Assert.Equal("http://adaptivecards.io/schemas/adaptive-card.json", card["$schema"]!.GetValue<string>());
    }

    [Fact]
    public void TheCardCarriesTheSameInformationAsTheSlackMessage()
    {
        var message = Render("update_succeeded");

        Assert.Equal("✅ Update succeeded", Heading(message)["text"]!.GetValue<string>());
        Assert.Equal("acme/webshop/production", Card(message)["body"]![0]!["items"]![1]!["text"]!.GetValue<string>());
        var facts = Facts(message);
        Assert.Equal("acme", facts["Organization"]);
        Assert.Equal("webshop", facts["Project"]);
        Assert.Equal("production", facts["Stack"]);
        Assert.Equal("✅ succeeded", facts["Result"]);
        Assert.Equal("+3 create · ~1 update · 28 unchanged", facts["Resource changes"]);
        Assert.Equal("Alice Liddell (alice)", facts["Triggered by"]);
    }

    [Fact]
    public void FailureEventsAreMarkedAndColouredAsFailures()
    {
        foreach (var eventName in FormatExamples.Events.Select(e => e.Event)
            .Where(e => e.EndsWith("_failed", StringComparison.Ordinal)).Append("policy_violation_mandatory"))
        {
            var message = Render(eventName);
            Assert.StartsWith("❌ ", Heading(message)["text"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("Attention", Heading(message)["color"]!.GetValue<string>());
            Assert.Equal("attention", Card(message)["body"]![0]!["style"]!.GetValue<string>());
        }
    }

    [Fact]
    public void SuccessEventsAreMarkedAndColouredAsSuccesses()
    {
        foreach (var eventName in FormatExamples.Events.Select(e => e.Event).Where(e => e.EndsWith("_succeeded", StringComparison.Ordinal)))
        {
            var message = Render(eventName);
            Assert.StartsWith("✅ ", Heading(message)["text"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("Good", Heading(message)["color"]!.GetValue<string>());
            Assert.Equal("good", Card(message)["body"]![0]!["style"]!.GetValue<string>());
        }
    }

    [Theory]
    [MemberData(nameof(AllEvents))]
    public void EveryEventWithALinkHasAnOpenUrlActionToIt(string eventName)
    {
        var raw = FormatExamples.Raw(eventName);
        var expected = new[] { "updateUrl", "deploymentUrl", "referenceUrl", "environmentUrl", "stackUrl" }
            .Select(f => raw[f]?.GetValue<string>()).FirstOrDefault(u => u is not null);
        var card = Card(Render(eventName, raw));

        if (expected is null)
        {
            Assert.Equal("ping", eventName);
            Assert.False(card.ContainsKey("actions"));
        }
        else
        {
            var action = Assert.Single(card["actions"]!.AsArray())!;
            Assert.Equal("Action.OpenUrl", action["type"]!.GetValue<string>());
            Assert.Equal(expected, action["url"]!.GetValue<string>());
        }
    }

    [Fact]
    public void MarkupInNamesAndMessagesStaysPlainText()
    {
        var (_, eventName, kind, raw) = FormatExamples.EdgeCases().Single(e => e.Name == "markup-policy");
        var message = TeamsMessage.Render(eventName, kind, raw);

        Assert.Equal(FormatExamples.Markup + " (alice)", Facts(message)["Triggered by"]);
        Assert.Contains(Texts(message), t => t.StartsWith(FormatExamples.Markup + " > quote", StringComparison.Ordinal));
    }

    [Fact]
    public void TenThousandCharacterTextIsCut()
    {
        var (_, eventName, kind, raw) = FormatExamples.EdgeCases().Single(e => e.Name == "long-policy");
        var message = TeamsMessage.Render(eventName, kind, raw);

        Assert.All(Texts(message), t => Assert.InRange(t.Length, 1, TeamsMessage.DetailsLength));
        Assert.Contains(Texts(message), t => t.Length > 2900 && t.EndsWith('…'));
        // Teams refuses messages over about 28 KB.
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(message.ToJsonString()), 1, 28_000);
    }

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void MissingOrMistypedFieldsStillGiveACard(string name)
    {
        var (_, eventName, kind, raw) = FormatExamples.EdgeCases().Single(e => e.Name == name);
        var card = Card(TeamsMessage.Render(eventName, kind, raw));

        Assert.NotEmpty(card["body"]!.AsArray());
        Assert.All(Texts(TeamsMessage.Render(eventName, kind, raw)), t => Assert.False(string.IsNullOrWhiteSpace(t)));
        if (card["actions"] is JsonArray actions)
        {
            Assert.All(actions, a => Assert.StartsWith("https://", a!["url"]!.GetValue<string>(), StringComparison.Ordinal));
        }
    }
}
