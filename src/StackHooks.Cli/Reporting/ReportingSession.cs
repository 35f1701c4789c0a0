namespace StackHooks.Cli.Reporting;

/// <summary>The client, spool, organization resolver and reporter of one tool invocation, made from its <see cref="Connection"/>.</summary>
public sealed class ReportingSession : IDisposable
{
    public ReportingSession(Connection connection, Messages messages)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
        Messages = messages;
        Client = new StackHooksClient(connection);
        Spool = new Spool(connection.SpoolDirectory);
        Organizations = new OrganizationResolver(Client);
        Reporter = ReporterFor(messages);
    }

    public Connection Connection { get; }

    public Messages Messages { get; }

    public StackHooksClient Client { get; }

    public Spool Spool { get; }

    public OrganizationResolver Organizations { get; }

    public Reporter Reporter { get; }

    /// <summary>A reporter sharing this session's client and spool that tells <paramref name="messages"/> what it does.</summary>
    public Reporter ReporterFor(Messages messages) => new(Client, Connection, Spool, Organizations, messages);

    public void Dispose() => Client.Dispose();
}
