namespace StackHooks.Cli.Reporting;

/// <summary><c>stackhooks flush</c>: sends the spool; exits 0 when it is empty afterwards, 1 when something remains.</summary>
public static class FlushCommand
{
    public static async Task<int> ExecuteAsync(Connection connection, Messages messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var session = new ReportingSession(connection, messages);
        var result = await session.Reporter.FlushSpoolAsync(connection.ReportTimeout, CancellationToken.None);
        var refused = result.Refused > 0 ? $", {result.Refused} refused by the server (moved to {session.Spool.RejectedDirectory})" : "";
        messages.Info($"sent {result.Sent} spooled event(s){refused}; {result.Remaining} remain in {session.Spool.Directory}");
        return result.Remaining == 0 ? 0 : 1;
    }
}
