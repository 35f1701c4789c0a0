using StackHooks.Events;
using StackHooks.Formats;

namespace StackHooks.Tests.Formats;

/// <summary>
/// The Slack and Teams message of every event, compared with a reviewed golden file
/// (<c>STACKHOOKS_UPDATE_GOLDEN=1</c> rewrites them).
/// </summary>
public sealed class GoldenMessageTests
{
    public static TheoryData<string> EventNames => [.. FormatExamples.Events.Select(e => e.Event)];

    [Theory]
    [MemberData(nameof(EventNames))]
    public void SlackMessageMatchesItsGoldenFile(string eventName) =>
        GoldenFiles.AssertMatches("slack", eventName,
            SlackMessage.Render(eventName, FormatExamples.KindOf(eventName), FormatExamples.Raw(eventName)));

    [Theory]
    [MemberData(nameof(EventNames))]
    public void TeamsMessageMatchesItsGoldenFile(string eventName) =>
        GoldenFiles.AssertMatches("teams", eventName,
            TeamsMessage.Render(eventName, FormatExamples.KindOf(eventName), FormatExamples.Raw(eventName)));

    [Fact]
    public void TheExamplesCoverEveryEventOfTheCatalogueAndThePing()
    {
        var examples = FormatExamples.Events.ToDictionary(e => e.Event, e => e.Kind);
        Assert.Equal(EventCatalogue.All.Count + 1, examples.Count);
        foreach (var filter in EventCatalogue.All)
        {
            Assert.True(examples.TryGetValue(filter.Name, out var kind), $"No example of {filter.Name}");
            Assert.Equal(filter.Kind, kind);
        }

        Assert.Equal("ping", examples["ping"]);
    }

    [Theory]
    [InlineData("slack")]
    [InlineData("teams")]
    public void NoGoldenFileIsLeftOverFromAnEventThatIsGone(string format)
    {
        var events = FormatExamples.Events.Select(e => e.Event).ToHashSet();
        var leftOver = Directory.Exists(GoldenFiles.Directory(format))
            ? Directory.GetFiles(GoldenFiles.Directory(format), "*.json").Where(f => !events.Contains(Path.GetFileNameWithoutExtension(f))).ToList()
            : [];
        if (GoldenFiles.Updating)
        {
            leftOver.ForEach(File.Delete);
            return;
        }

        Assert.Empty(leftOver);
    }
}
