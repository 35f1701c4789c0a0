using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace StackHooks.Tests.Formats;

/// <summary>
/// The checked-in golden messages under <c>tests/StackHooks.Tests/Formats/golden/{format}/{event}.json</c>, read from the
/// source tree. Run the tests with <c>STACKHOOKS_UPDATE_GOLDEN=1</c> to write them afresh, then look at the diff.
/// </summary>
public static partial class GoldenFiles
{
    public const string UpdateVariable = "STACKHOOKS_UPDATE_GOLDEN";

    private static readonly JsonSerializerOptions Indented =
        new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    /// <summary>The repository's root: the folder above the test binaries that holds StackHooks.slnx.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Directory(string format) =>
        Path.Combine(RepositoryRoot, "tests", "StackHooks.Tests", "Formats", "golden", format);

    /// <summary>Fails unless <paramref name="actual"/> is the golden message (or writes it, when updating).</summary>
    public static void AssertMatches(string format, string eventName, JsonObject actual)
    {
        var path = Path.Combine(Directory(format), eventName + ".json");
        var text = Pretty(actual);
        if (Updating)
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
            return;
        }

        Assert.True(File.Exists(path), $"No golden file {path}: run the tests once with {UpdateVariable}=1, then review it.");
        var expected = File.ReadAllText(path);
        if (!JsonNode.DeepEquals(JsonNode.Parse(expected), actual))
        {
            Assert.Fail($"The {format} message of {eventName} differs from {path} (run with {UpdateVariable}=1 to accept):\n"
                + $"--- expected\n{expected}\n--- actual\n{text}");
        }
    }

    /// <summary>Indented JSON with emoji written as they are, ending with a newline.</summary>
    public static string Pretty(JsonNode node) =>
        // The encoder still writes characters outside the BMP (most emoji) as surrogate escapes; put them back.
        SurrogatePair().Replace(node.ToJsonString(Indented), m =>
            char.ConvertFromUtf32(char.ConvertToUtf32(
                (char)Convert.ToInt32(m.Groups[1].Value, 16), (char)Convert.ToInt32(m.Groups[2].Value, 16)))) + "\n";

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StackHooks.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No StackHooks.slnx above {AppContext.BaseDirectory}: run the tests from the repository.");
    }

    [GeneratedRegex(@"(?<!\\)\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", RegexOptions.IgnoreCase)]
    private static partial Regex SurrogatePair();
}
