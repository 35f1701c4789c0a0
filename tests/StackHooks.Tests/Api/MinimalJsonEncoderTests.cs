using System.Text.Json;
using System.Text.Json.Nodes;
using StackHooks.Api;

namespace StackHooks.Tests.Api;

public sealed class MinimalJsonEncoderTests
{
    [Theory]
    [InlineData("🍹 Just a friendly ping from Pulumi 🍹")]
    [InlineData("quote \" backslash \\ slash / plus + apostrophe '")]
    [InlineData("controls \u0000 \u0001 \n \r \t \b \f \u001f end")]
    [InlineData("<script>alert(1)</script> & ampersand")]
    [InlineData("naïve café Привет 漢字 \u2028 \u2029")]
    [InlineData("\\u0041 is written as text, not unescaped")]
    public void TextRoundTripsThroughJson(string text)
    {
        var json = new JsonObject { ["text"] = text }.ToJsonString(ApiJson.Options);
        Assert.Equal(text, JsonNode.Parse(json)!["text"]!.GetValue<string>());
    }

    [Fact]
    public void EmojiAndNonAsciiTextAreWrittenAsTheyAre()
    {
        var json = JsonSerializer.Serialize(new { message = "🍹 café +1 'x'" }, ApiJson.Options);
        Assert.Equal("{\"message\":\"🍹 café +1 'x'\"}", json);
    }

    [Fact]
    public void OnlyWhatJsonRequiresIsEscaped()
    {
        var json = JsonSerializer.Serialize(new { s = "a\"b\\c\nd\u0001" }, ApiJson.Options);
        Assert.Equal("{\"s\":\"a\\\"b\\\\c\\nd\\u0001\"}", json);
    }

    [Fact]
    public void ALoneSurrogateIsEscapedSoTheOutputStaysValid()
    {
        var json = JsonSerializer.Serialize(new { s = "x\uD800y" }, ApiJson.Options);
        Assert.DoesNotContain('\uD800', json);
        Assert.NotNull(JsonNode.Parse(json));
    }
}
