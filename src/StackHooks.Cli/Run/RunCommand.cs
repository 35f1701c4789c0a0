using StackHooks.Cli.Pulumi;
using StackHooks.Cli.Reporting;

namespace StackHooks.Cli.Run;

/// <summary>
/// <c>stackhooks run [options] -- pulumi ARGS…</c>: runs pulumi as it was asked to, records the outcome, and exits with
/// pulumi's exit code. Only a misconfiguration of the tool itself (no token, an organization it cannot choose among
/// several) stops it before pulumi runs, with exit code 2; an unreachable server or a refused token never does.
/// </summary>
public static class RunCommand
{
    public const int UsageExitCode = 2;
    private static readonly TimeSpan OrganizationLookupTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> ExecuteAsync(IReadOnlyList<string> commandLine, Connection connection, Messages messages)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentNullException.ThrowIfNull(messages);
        var invocation = PulumiInvocation.Parse(commandLine);
        if (!PulumiInvocation.IsPulumiProgram(invocation.Program))
        {
            messages.Warning($"'{invocation.Program}' is not pulumi; running it without recording anything");
        }

        using var session = new ReportingSession(connection, messages);
        var organization = OrganizationResolver.Local(connection.Organization, invocation.NamedStack);
        if (invocation.Command != PulumiCommand.Other && organization is null)
        {
            var answer = await session.Organizations.FromServerAsync(OrganizationLookupTimeout, CancellationToken.None);
            if (answer.MustChoose)
            {
                messages.Error($"{answer.Problem}; pulumi was not run");
                return UsageExitCode;
            }

            // Null when the server is unreachable (asked again when the outcome is sent) or refused the token (said after pulumi ran).
            organization = answer.Organization;
        }

        // The spool is sent while pulumi runs, its messages held back so they do not land in the middle of pulumi's display.
        var held = new StringWriter();
        var flush = session.Spool.Files().Count > 0
            ? Task.Run(() => session.ReporterFor(new Messages(held)).FlushSpoolAsync(connection.ReportTimeout, CancellationToken.None))
            : null;
        async Task SpoolFirst()
        {
            if (flush is null)
            {
                return;
            }

            try
            {
                await flush;
            }
#pragma warning disable CA1031 // a spool that cannot be sent must not keep this run's outcome from being sent
            catch (Exception e)
#pragma warning restore CA1031
            {
                messages.Warning($"could not send the spool: {e.Message}");
            }
            finally
            {
                messages.Relay(held.ToString());
            }
        }

        using var signals = new SignalRelay(SignalHandling.PassOn, messages);
        return await new PulumiRun(session).ExecuteAsync(invocation, null, organization, null, signals, SpoolFirst);
    }
}
