namespace StackHooks.Cli.Reporting;

/// <summary>
/// What the tool tells the person or the CI log, on standard error (standard output belongs to pulumi, which may be
/// printing JSON), each line prefixed with <c>stackhooks:</c>.
/// </summary>
public sealed class Messages(TextWriter error)
{
    public void Info(string text) => error.WriteLine($"stackhooks: {text}");

    public void Warning(string text) => error.WriteLine($"stackhooks: warning: {text}");

    public void Error(string text) => error.WriteLine($"stackhooks: error: {text}");

    /// <summary>Passes on lines another <see cref="Messages"/> wrote into a buffer, as they are.</summary>
    public void Relay(string lines) => error.Write(lines);
}
