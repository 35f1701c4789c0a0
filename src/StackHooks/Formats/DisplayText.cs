using System.Globalization;
using System.Text;

namespace StackHooks.Formats;

/// <summary>
/// Text from payloads made fit for a chat message: cut to a length on whole characters (an emoji or an accented letter
/// is never split), with its markup escaped on the way so that an escape sequence is never cut in half either.
/// </summary>
internal static class DisplayText
{
    public const string Ellipsis = "…";

    /// <summary>
    /// <paramref name="text"/> with each text element passed through <paramref name="escape"/>, at most
    /// <paramref name="maxLength"/> UTF-16 code units long; a cut text ends with an ellipsis.
    /// </summary>
    public static string Limit(string text, int maxLength, Func<string, string>? escape = null)
    {
        escape ??= static s => s;
        var whole = new StringBuilder(Math.Min(text.Length, maxLength));
        var cut = 0;
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var piece = escape(elements.GetTextElement());
            if (whole.Length + piece.Length > maxLength)
            {
                return whole.ToString(0, cut) + Ellipsis;
            }

            whole.Append(piece);
            if (whole.Length <= maxLength - Ellipsis.Length)
            {
                cut = whole.Length;
            }
        }

        return whole.ToString();
    }

    /// <summary>The text on one line: line breaks and tabs become spaces, other control characters are dropped.</summary>
    public static string OneLine(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var line = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\r' or '\n' or '\t')
            {
                line.Append(' ');
            }
            else if (!char.IsControl(c))
            {
                line.Append(c);
            }
        }

        return line.ToString();
    }

    /// <summary>The text without control characters other than line breaks.</summary>
    public static string Printable(string text) =>
        text.Any(c => char.IsControl(c) && c != '\n')
            ? string.Concat(text.Replace("\r\n", "\n", StringComparison.Ordinal).Where(c => !char.IsControl(c) || c == '\n'))
            : text;

    /// <summary>The first letter in upper case, as in a title ("succeeded" → "Succeeded").</summary>
    public static string Capitalized(string text) =>
        text.Length == 0 || char.IsUpper(text[0]) ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
