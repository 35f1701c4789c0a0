namespace StackHooks.Cli.Tests.Unit;

public class DurationsTests
{
    [Theory]
    [InlineData("00:00:05", 5000)]
    [InlineData("30s", 30000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120000)]
    [InlineData("1h", 3600000)]
    [InlineData("1.5", 1500)]
    public void ReadsDurations(string text, double milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5s")]
    [InlineData("0")]
    [InlineData("00:00:00")]
    public void RefusesWhatIsNotAPositiveDuration(string text) => Assert.False(Durations.TryParse(text, out _));
}
