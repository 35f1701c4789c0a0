namespace StackHooks.Cli.Tests.Support;

/// <summary>One invocation of the fake pulumi: the arguments it got and whether PULUMI_DEBUG_COMMANDS was set.</summary>
public sealed record PulumiCall(IReadOnlyList<string> Arguments, string DebugCommands, string WorkingDirectory);

/// <summary>
/// A workspace for running the tool over the fake pulumi (FakePulumi/pulumi, a bash script that behaves as the real CLI does
/// in what the tool relies on): a project folder with a Pulumi.yaml, the fake's state (selected stack, stacks, a record of
/// every invocation), a spool folder, and the environment that puts the fake first on PATH.
/// </summary>
public sealed class FakePulumi : IDisposable
{
    public FakePulumi(string project = "shop")
    {
        Root = Directory.CreateTempSubdirectory("stackhooks-cli-").FullName;
        ProjectDirectory = Path.Combine(Root, project);
        Directory.CreateDirectory(ProjectDirectory);
        File.WriteAllText(Path.Combine(ProjectDirectory, "Pulumi.yaml"), $"name: {project}\nruntime: nodejs\ndescription: test project # not the name\n");
        StateDirectory = Path.Combine(Root, "state");
        SpoolDirectory = Path.Combine(Root, "spool");
        Directory.CreateDirectory(StateDirectory);
        BinDirectory = Path.Combine(AppContext.BaseDirectory, "FakePulumi");
        var script = Path.Combine(BinDirectory, "pulumi");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public string Root { get; }

    public string ProjectDirectory { get; }

    public string StateDirectory { get; }

    public string SpoolDirectory { get; }

    public string BinDirectory { get; }

    /// <summary>The tool's environment: the fake first on PATH, playing <paramref name="scenario"/>, reporting to <paramref name="url"/>.</summary>
    public Dictionary<string, string> Environment(string scenario, Uri url, string token, string? org = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = BinDirectory + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
            ["FAKE_PULUMI_STATE"] = StateDirectory,
            ["FAKE_PULUMI_SCENARIO"] = scenario,
            ["STACKHOOKS_URL"] = url.ToString(),
            ["STACKHOOKS_TOKEN"] = token,
            ["STACKHOOKS_SPOOL"] = SpoolDirectory,
        };
        if (org is not null)
        {
            environment["STACKHOOKS_ORG"] = org;
        }

        return environment;
    }

    /// <summary>Every invocation of the fake so far, oldest first.</summary>
    public IReadOnlyList<PulumiCall> Calls()
    {
        var path = Path.Combine(StateDirectory, "invocations");
        if (!File.Exists(path))
        {
            return [];
        }

        var calls = new List<PulumiCall>();
        List<string>? arguments = null;
        string debug = "", cwd = "";
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith("--- PULUMI_DEBUG_COMMANDS=", StringComparison.Ordinal))
            {
                if (arguments is not null)
                {
                    calls.Add(new PulumiCall(arguments, debug, cwd));
                }

                var header = line["--- PULUMI_DEBUG_COMMANDS=".Length..];
                var split = header.IndexOf(" CWD=", StringComparison.Ordinal);
                (debug, cwd) = (header[..split], header[(split + 5)..]);
                arguments = [];
            }
            else
            {
                arguments?.Add(line);
            }
        }

        if (arguments is not null)
        {
            calls.Add(new PulumiCall(arguments, debug, cwd));
        }

        return calls;
    }

    /// <summary>The spooled files, oldest first.</summary>
    public IReadOnlyList<string> SpoolFiles() =>
        Directory.Exists(SpoolDirectory) ? Directory.GetFiles(SpoolDirectory, "*.json").Order(StringComparer.Ordinal).ToList() : [];

    /// <summary>Waits (polling, with a deadline) until the fake has reached a <c>#wait-for-signal</c> line.</summary>
    public async Task WaitUntilWaitingForSignalAsync(TimeSpan timeout)
    {
        var marker = Path.Combine(StateDirectory, "waiting");
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!File.Exists(marker))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the fake pulumi did not reach its wait within {timeout}");
            }

            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans the temp folder
        }
    }
}
