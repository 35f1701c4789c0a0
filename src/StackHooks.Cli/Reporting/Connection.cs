namespace StackHooks.Cli.Reporting;

/// <summary>Where and how the tool reports: the server, the caller's token, the organization if named, the retry budget and the spool.</summary>
public sealed record Connection(Uri Url, string Token, string? Organization, TimeSpan ReportTimeout, string SpoolDirectory)
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static TimeSpan DefaultReportTimeout { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The spool folder: <c>STACKHOOKS_SPOOL</c>, else <c>~/.stackhooks/spool</c>.</summary>
    public static string DefaultSpoolDirectory(string? configured) =>
        !string.IsNullOrWhiteSpace(configured)
            ? Path.GetFullPath(configured)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".stackhooks", "spool");

    /// <summary>The server URL as messages and spool entries show it (no trailing slash).</summary>
    public string ServerUrl => Url.GetLeftPart(UriPartial.Path).TrimEnd('/');
}
