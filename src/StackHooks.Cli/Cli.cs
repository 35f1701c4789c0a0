using System.CommandLine;
using System.CommandLine.Parsing;
using StackHooks.Cli.Reporting;
using StackHooks.Cli.Run;
using StackHooks.Cli.Runner;

namespace StackHooks.Cli;

/// <summary>The command line of the <c>stackhooks</c> tool (SPEC §10): <c>run</c>, <c>runner</c> and <c>flush</c>, and the connection options they share.</summary>
public static class Cli
{
    private static readonly Option<string> Url = new("--url")
    {
        Description = $"StackHooks server URL [env: STACKHOOKS_URL; default: {Connection.DefaultUrl}]",
        Recursive = true,
    };

    private static readonly Option<string> Token = new("--token")
    {
        Description = "Access token [env: STACKHOOKS_TOKEN; required]",
        Recursive = true,
    };

    private static readonly Option<string> Org = new("--org")
    {
        Description = "Organization to record in [env: STACKHOOKS_ORG; default: from a fully qualified --stack, else your only organization]",
        Recursive = true,
    };

    private static readonly Option<TimeSpan> ReportTimeout = new("--report-timeout")
    {
        Description = "How long to keep retrying a report before spooling it (e.g. 30s, 00:00:30)",
        Recursive = true,
        CustomParser = DurationOf,
        DefaultValueFactory = _ => Connection.DefaultReportTimeout,
    };

    public static RootCommand Build(TextWriter error)
    {
        var messages = new Messages(error);
        var root = new RootCommand("Records the outcome of pulumi runs in StackHooks, and runs the deployments its webhooks queue.")
        {
            Url, Token, Org, ReportTimeout,
        };

        var command = new Argument<string[]>("command")
        {
            Description = "The pulumi command line, after --: pulumi up --yes -s dev",
            Arity = ArgumentArity.OneOrMore,
            CaptureRemainingTokens = true,
        };
        var run = new Command("run", "Runs pulumi, records its outcome (updates, previews, policy violations, stacks created and removed), exits with its exit code.")
        {
            command,
        };
        run.SetAction((parse, _) => WithConnection(parse, messages, connection => RunCommand.ExecuteAsync(parse.GetValue(command)!, connection, messages)));

        var projects = new Option<string>("--projects") { Description = "Folder holding the pulumi projects (found by the name in their Pulumi.yaml)", Required = true };
        var once = new Option<bool>("--once") { Description = "Work through what is queued, then exit 0" };
        var poll = new Option<TimeSpan>("--poll")
        {
            Description = "How often to look for queued deployments",
            CustomParser = DurationOf,
            DefaultValueFactory = _ => TimeSpan.FromSeconds(5),
        };
        var runner = new Command("runner", "Runs the deployments that pulumi_deployments webhooks queue.") { projects, once, poll };
        runner.SetAction((parse, _) => WithConnection(parse, messages,
            connection => RunnerCommand.ExecuteAsync(connection, messages, parse.GetValue(projects)!, parse.GetValue(once), parse.GetValue(poll))));

        var flush = new Command("flush", "Sends the events spooled while the server could not be reached; exits 1 when some remain.");
        flush.SetAction((parse, _) => WithConnection(parse, messages, connection => FlushCommand.ExecuteAsync(connection, messages)));

        root.Subcommands.Add(run);
        root.Subcommands.Add(runner);
        root.Subcommands.Add(flush);
        return root;
    }

    /// <summary>Parses and runs; usage errors exit 2.</summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error)
    {
        var parse = Build(error).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors)
            {
                await error.WriteLineAsync($"stackhooks: {problem.Message}");
            }

            await error.WriteLineAsync("Try 'stackhooks --help'.");
            return RunCommand.UsageExitCode;
        }

        // Signals are the commands' own business: run passes them to pulumi, runner finishes its deployment first.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, Output = output, Error = error });
    }

    private static async Task<int> WithConnection(ParseResult parse, Messages messages, Func<Connection, Task<int>> action)
    {
        var url = FirstOf(parse.GetValue(Url), Environment.GetEnvironmentVariable("STACKHOOKS_URL")) ?? Connection.DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            messages.Error($"the StackHooks URL '{url}' is not an absolute http or https URL (--url, STACKHOOKS_URL)");
            return RunCommand.UsageExitCode;
        }

        var token = FirstOf(parse.GetValue(Token), Environment.GetEnvironmentVariable("STACKHOOKS_TOKEN"));
        if (token is null)
        {
            messages.Error("no access token: set STACKHOOKS_TOKEN (or pass --token)");
            return RunCommand.UsageExitCode;
        }

        var org = FirstOf(parse.GetValue(Org), Environment.GetEnvironmentVariable("STACKHOOKS_ORG"));
        var spool = Connection.DefaultSpoolDirectory(Environment.GetEnvironmentVariable("STACKHOOKS_SPOOL"));
        return await action(new Connection(uri, token, org, parse.GetValue(ReportTimeout), spool));
    }

    private static string? FirstOf(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

    private static TimeSpan DurationOf(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
        if (Durations.TryParse(text, out var duration))
        {
            return duration;
        }

        result.AddError($"'{text}' is not a duration: write it as 30s, 500ms, 2m or 00:00:30");
        return default;
    }
}
