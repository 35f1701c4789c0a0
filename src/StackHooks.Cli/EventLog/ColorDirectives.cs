using System.Text.RegularExpressions;

namespace StackHooks.Cli.EventLog;

/// <summary>
/// Removes pulumi's colour directives (<c>&lt;{%fg 1%}&gt;</c>, <c>&lt;{%reset%}&gt;</c>, …) and any ANSI escape sequences from a
/// message, leaving the text a person would read.
/// </summary>
public static partial class ColorDirectives
{
    public static string Remove(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Ansi().Replace(Directive().Replace(text, ""), "");
    }

    [GeneratedRegex(@"<\{%[^%]*%\}>")]
    private static partial Regex Directive();

    [GeneratedRegex(@"\x1B\[[0-9;?]*[ -/]*[@-~]")]
    private static partial Regex Ansi();
}
