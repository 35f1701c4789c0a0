using System.Text;
using System.Text.Json.Nodes;
using StackHooks.Formats;

namespace StackHooks.Tests.Formats;

public sealed class SlackMessageTests
{
    public static TheoryData<string> FailureEvents =>
    [
        .. FormatExamples.Events.Select(e => e.Event).Where(e => e.EndsWith("_failed", StringComparison.Ordinal)),
        "policy_violation_mandatory",
    ];

    public static TheoryData<string> SuccessEvents =>
        [.. FormatExamples.Events.Select(e => e.Event).Where(e => e.EndsWith("_succeeded", StringComparison.Ordinal))];

    public static TheoryData<string> AllEvents => [.. FormatExamples.Events.Select(e => e.Event)];

    public static TheoryData<string> EdgeCases => [.. FormatExamples.EdgeCases().Select(e => e.Name)];

    private static JsonObject Render(string eventName, JsonObject? raw = null) =>
        SlackMessage.Render(eventName, FormatExamples.KindOf(eventName), raw ?? FormatExamples.Raw(eventName));

    private static JsonObject Block(JsonObject message, string type) =>
        message["blocks"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == type)!.AsObject();

    [Fact]
    public void TheNotificationLineSaysWhatHappenedWhereWithWhatChangesAndByWhom()
    {
        var message = Render("update_succeeded");

        Assert.Equal("✅ acme/webshop/production: update succeeded (+3 ~1 -0) by alice", message["text"]!.GetValue<string>());
        Assert.Equal("✅ Update succeeded", Block(message, "header")["text"]!["text"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(FailureEvents))]
    public void FailureEventsCarryTheFailureMarker(string eventName)
    {
        var message = Render(eventName);

        Assert.StartsWith("❌ ", message["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("❌ ", Block(message, "header")["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("✅", GoldenFiles.Pretty(message), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SuccessEvents))]
    public void SuccessEventsCarryTheSuccessMarker(string eventName)
    {
        var message = Render(eventName);

        Assert.StartsWith("✅ ", message["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("✅ ", Block(message, "header")["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("❌", GoldenFiles.Pretty(message), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllEvents))]
    public void EveryEventWithALinkHasAButtonToIt(string eventName)
    {
        var raw = FormatExamples.Raw(eventName);
        var expected = new[] { "updateUrl", "deploymentUrl", "referenceUrl", "environmentUrl", "stackUrl" }
            .Select(f => raw[f]?.GetValue<string>()).FirstOrDefault(u => u is not null);
        var message = Render(eventName, raw);

        var buttons = message["blocks"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "actions")
            .SelectMany(b => b!["elements"]!.AsArray()).ToList();
        if (expected is null)
        {
            Assert.Equal("ping", eventName);
            Assert.Empty(buttons);
        }
        else
        {
            var button = Assert.Single(buttons);
            Assert.Equal(expected, button!["url"]!.GetValue<string>());
            Assert.StartsWith("View ", button["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheResultTheResourceChangesAndTheUserAreShown()
    {
        var json = GoldenFiles.Pretty(Render("update_failed"));

        Assert.Contains(@"*Result*\n❌ failed", json, StringComparison.Ordinal);
        Assert.Contains(@"*Resource changes*\n+1 create · ~1 update · -0 delete · 29 unchanged", json, StringComparison.Ordinal);
        Assert.Contains("Triggered by *Alice Liddell (alice)*", json, StringComparison.Ordinal);
        Assert.Contains(FormatExamples.AvatarUrl, json, StringComparison.Ordinal);
    }

    [Fact]
    public void MarkupInNamesAndMessagesIsEscapedInMrkdwn()
    {
        var (_, eventName, kind, raw) = FormatExamples.EdgeCases().Single(e => e.Name == "markup-policy");
        var message = SlackMessage.Render(eventName, kind, raw);

        var texts = SlackLimits.MrkdwnTexts(message).ToList();
        Assert.Empty(SlackLimits.Problems(message));
        Assert.All(texts, t => Assert.DoesNotContain("<", t, StringComparison.Ordinal));
        Assert.Contains("Triggered by *&lt;script&gt;&amp; (alice)*", texts);
        var quote = texts.Single(t => t.StartsWith("*Message*", StringComparison.Ordinal));
        Assert.Equal("*Message*\n>&lt;script&gt;&amp; &gt; quote &amp; &lt;@channel&gt; &lt;https://evil.example|click&gt; &amp;amp;", quote);
        Assert.Contains("acme &lt;b&gt;&amp;&lt;/b&gt;", message["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void TenThousandCharacterTextIsCutWithinSlacksLimits()
    {
        var (_, eventName, kind, raw) = FormatExamples.EdgeCases().Single(e => e.Name == "long-policy");
        var message = SlackMessage.Render(eventName, kind, raw);

        Assert.Empty(SlackLimits.Problems(message));
        var quote = SlackLimits.MrkdwnTexts(message).Single(t => t.StartsWith("*Message*", StringComparison.Ordinal));
        Assert.InRange(quote.Length, 2900, SlackMessage.SectionTextLength);
        Assert.EndsWith("…", quote, StringComparison.Ordinal);
        Assert.True(message["text"]!.GetValue<string>().Length <= SlackMessage.SummaryLength);
        Assert.True(message.ToJsonString().Length < 40_000, "the whole message stays small");
    }

    [Fact]
    public void CuttingNeverSplitsAnEscapeOrAnEmoji()
    {
        var raw = FormatExamples.Raw("policy_violation_mandatory");
        raw["message"] = string.Concat(Enumerable.Repeat("&👩‍💻<", 5000));
        var message = Render("policy_violation_mandatory", raw);

        var quote = SlackLimits.MrkdwnTexts(message).Single(t => t.StartsWith("*Message*", StringComparison.Ordinal));
        Assert.EndsWith("…", quote, StringComparison.Ordinal);
        var body = quote["*Message*\n>".Length..^1];
        var whole = string.Concat(Enumerable.Repeat("&amp;👩‍💻&lt;", 5000));
        Assert.StartsWith(body, whole, StringComparison.Ordinal);
        Assert.True(body.EndsWith("&amp;", StringComparison.Ordinal) || body.EndsWith("👩‍💻", StringComparison.Ordinal)
            || body.EndsWith("&lt;", StringComparison.Ordinal), $"cut inside an escape or an emoji: …{body[^12..]}");
        Assert.Empty(SlackLimits.Problems(message));
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        Assert.All(SlackLimits.MrkdwnTexts(message), t => strict.GetBytes(t)); // no half of a surrogate pair
    }

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void MissingOrMistypedFieldsStillGiveAValidMessage(string name)
    {
        var (_, eventName, kind, raw) = FormatExamples.EdgeCases().Single(e => e.Name == name);
        var message = SlackMessage.Render(eventName, kind, raw);

        Assert.Empty(SlackLimits.Problems(message));
    }

    [Fact]
    public void AnUnsafeOrOverlongLinkIsLeftOut()
    {
        var raw = FormatExamples.Raw("update_failed");
        raw["updateUrl"] = "javascript:alert(1)";
        Assert.DoesNotContain(Render("update_failed", raw)["blocks"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "actions");

        raw["updateUrl"] = FormatExamples.BaseUrl + "/" + new string('x', 5000);
        Assert.DoesNotContain(Render("update_failed", raw)["blocks"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "actions");
    }

    [Fact]
    public void EnvironmentEventsNameTheEnvironment()
    {
        var message = Render("environment_revision_tag_updated");

        Assert.Equal("✏️ acme/webshop/payments: revision tag updated (tag stable, revision 12) by alice", message["text"]!.GetValue<string>());
        Assert.Contains(@"*Environment*\npayments", GoldenFiles.Pretty(message), StringComparison.Ordinal);
    }
}
