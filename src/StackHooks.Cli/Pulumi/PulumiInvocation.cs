namespace StackHooks.Cli.Pulumi;

/// <summary>The pulumi commands whose outcome <c>stackhooks run</c> records.</summary>
public enum PulumiCommand
{
    /// <summary>Anything else: run unchanged, nothing recorded.</summary>
    Other,
    Up,
    Preview,
    Destroy,
    Refresh,
    Import,
    StackInit,
    StackRm,
}

/// <summary>
/// A pulumi command line as <c>stackhooks run</c> sees it: which command it is (after any global flags), which stack and
/// working directory it names, and where <c>--event-log</c> goes. Reads the command line the way pulumi's own flag parser
/// (cobra) does, for the flags that matter here; everything else is passed on untouched.
/// </summary>
public sealed record PulumiInvocation(
    string Program,
    IReadOnlyList<string> Arguments,
    PulumiCommand Command,
    int CommandIndex,
    string? StackFlag,
    string? Cwd,
    string? NameArgument,
    string? EventLogFlag,
    bool PreviewOnly,
    bool RemoveStack)
{
    /// <summary>Flags of the root command (persistent, so they may also follow the command) that take a value.</summary>
    private static readonly HashSet<string> GlobalValueFlags =
        new(["--cwd", "--color", "--tracing", "--tracing-header", "--profiling", "--memprofilerate", "--verbose"], StringComparer.Ordinal);

    private const string GlobalValueShorthands = "Cv";

    /// <summary>Long flags that take a value, per command (the ones whose values could be mistaken for a positional argument).</summary>
    private static readonly Dictionary<PulumiCommand, HashSet<string>> CommandValueFlags = new()
    {
        [PulumiCommand.Up] = Set("--stack", "--config", "--config-file", "--message", "--parallel", "--target", "--exclude", "--target-replace",
            "--replace", "--policy-pack", "--policy-pack-config", "--plan", "--exec-kind", "--exec-agent", "--client"),
        [PulumiCommand.Preview] = Set("--stack", "--config", "--config-file", "--message", "--parallel", "--target", "--exclude", "--target-replace",
            "--replace", "--policy-pack", "--policy-pack-config", "--save-plan", "--import-file", "--exec-kind", "--exec-agent", "--client"),
        [PulumiCommand.Destroy] = Set("--stack", "--config", "--config-file", "--message", "--parallel", "--target", "--exclude", "--exec-kind",
            "--exec-agent", "--client"),
        [PulumiCommand.Refresh] = Set("--stack", "--config-file", "--message", "--parallel", "--target", "--exclude", "--import-pending-creates",
            "--exec-kind", "--exec-agent", "--client"),
        [PulumiCommand.Import] = Set("--stack", "--config", "--config-file", "--message", "--parallel", "--file", "--out", "--from", "--parent",
            "--provider", "--properties", "--exec-kind", "--exec-agent"),
        [PulumiCommand.StackInit] = Set("--stack", "--secrets-provider", "--copy-config-from", "--teams"),
        [PulumiCommand.StackRm] = Set("--stack"),
        [PulumiCommand.Other] = Set("--stack"),
    };

    /// <summary>Shorthand flags that take a value, per command.</summary>
    private static readonly Dictionary<PulumiCommand, string> CommandValueShorthands = new()
    {
        [PulumiCommand.Up] = "scmptx",
        [PulumiCommand.Preview] = "scmptx",
        [PulumiCommand.Destroy] = "scmptx",
        [PulumiCommand.Refresh] = "smptx",
        [PulumiCommand.Import] = "scmpfo",
        [PulumiCommand.StackInit] = "s",
        [PulumiCommand.StackRm] = "s",
        [PulumiCommand.Other] = "s",
    };

    public const string EventLogFlagName = "--event-log";

    /// <summary>True for <c>up</c>, <c>preview</c>, <c>destroy</c>, <c>refresh</c> and <c>import</c>: the engine runs and writes an event log.</summary>
    public bool IsEngineOperation => Command is PulumiCommand.Up or PulumiCommand.Preview or PulumiCommand.Destroy or PulumiCommand.Refresh or PulumiCommand.Import;

    /// <summary>Whether the program is pulumi itself (by file name), so its command line can be read as pulumi's.</summary>
    public static bool IsPulumiProgram(string program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var name = Path.GetFileName(program.Replace('\\', '/').TrimEnd('/'));
        return string.Equals(name, "pulumi", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "pulumi.exe", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The operation's name in event filters: <c>update</c> for up, else the command's name.</summary>
    public string Operation => Command switch
    {
        PulumiCommand.Up => "update",
        PulumiCommand.Preview => "preview",
        PulumiCommand.Destroy => "destroy",
        PulumiCommand.Refresh => "refresh",
        PulumiCommand.Import => "import",
        _ => "",
    };

    /// <summary>The stack reference the command line names: <c>-s</c>/<c>--stack</c>, or the NAME of <c>stack init</c>/<c>stack rm</c>.</summary>
    public StackReference? NamedStack => StackReference.Parse(NameArgument ?? StackFlag);

    /// <summary>Reads <paramref name="commandLine"/>: the program followed by its arguments.</summary>
    public static PulumiInvocation Parse(IReadOnlyList<string> commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentOutOfRangeException.ThrowIfZero(commandLine.Count);
        var program = commandLine[0];
        var args = commandLine.Skip(1).ToList();
        var other = new PulumiInvocation(program, args, PulumiCommand.Other, -1, null, null, null, null, false, false);
        if (!IsPulumiProgram(program))
        {
            return other;
        }

        var (command, commandIndex) = FindCommand(args);
        string? stack = null, cwd = null, name = null, eventLog = null;
        bool previewOnly = false, remove = false;
        var valueFlags = CommandValueFlags[command];
        var valueShorthands = CommandValueShorthands[command];
        var endOfFlags = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (i == commandIndex)
            {
                continue;
            }

            var token = args[i];
            if (endOfFlags || token.Length < 2 || token[0] != '-')
            {
                if (i > commandIndex && commandIndex >= 0)
                {
                    name ??= token;
                }

                continue;
            }

            if (token == "--")
            {
                endOfFlags = true;
                continue;
            }

            if (token.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = token.IndexOf('=', StringComparison.Ordinal);
                var flag = equals < 0 ? token : token[..equals];
                var takesValue = GlobalValueFlags.Contains(flag) || valueFlags.Contains(flag) || flag == EventLogFlagName;
                string? value = null;
                if (equals >= 0)
                {
                    value = token[(equals + 1)..];
                }
                else if (takesValue && i + 1 < args.Count)
                {
                    value = args[++i];
                }

                switch (flag)
                {
                    case "--stack":
                        stack = value;
                        break;
                    case "--cwd":
                        cwd = value;
                        break;
                    case EventLogFlagName:
                        eventLog = value;
                        break;
                    case "--preview-only":
                        previewOnly = value is null || IsTrue(value);
                        break;
                    case "--remove":
                        remove = value is null || IsTrue(value);
                        break;
                }

                continue;
            }

            // Shorthands, possibly bundled (-yf) and with an attached value (-sdev, -s=dev).
            for (var c = 1; c < token.Length; c++)
            {
                var letter = token[c];
                if (!GlobalValueShorthands.Contains(letter, StringComparison.Ordinal) && !valueShorthands.Contains(letter, StringComparison.Ordinal))
                {
                    continue;
                }

                string? value;
                if (c + 1 < token.Length)
                {
                    value = token[(c + 1)..];
                    if (value.StartsWith('='))
                    {
                        value = value[1..];
                    }
                }
                else
                {
                    value = i + 1 < args.Count ? args[++i] : null;
                }

                if (letter == 's')
                {
                    stack = value;
                }
                else if (letter == 'C')
                {
                    cwd = value;
                }

                break;
            }
        }

        return new PulumiInvocation(program, args, command, commandIndex, Empty(stack), Empty(cwd),
            command is PulumiCommand.StackInit or PulumiCommand.StackRm ? Empty(name) : null, Empty(eventLog), previewOnly, remove);
    }

    /// <summary>The arguments with <c>--event-log PATH</c> inserted right after the command word (before any <c>--</c>).</summary>
    public IReadOnlyList<string> ArgumentsWithEventLog(string path)
    {
        if (CommandIndex < 0)
        {
            throw new InvalidOperationException("No command to add --event-log to.");
        }

        var result = new List<string>(Arguments.Count + 2);
        result.AddRange(Arguments.Take(CommandIndex + 1));
        result.Add(EventLogFlagName);
        result.Add(path);
        result.AddRange(Arguments.Skip(CommandIndex + 1));
        return result;
    }

    /// <summary>The global flags that change where pulumi works (<c>--cwd</c>), to be given to helper invocations too.</summary>
    public IReadOnlyList<string> LocationFlags => Cwd is null ? [] : ["--cwd", Cwd];

    /// <summary>Finds the command word (the first argument that is not a global flag or its value) and, for <c>stack</c>, its subcommand.</summary>
    private static (PulumiCommand Command, int Index) FindCommand(List<string> args)
    {
        var i = SkipFlags(args, 0, GlobalValueFlags, GlobalValueShorthands);
        if (i >= args.Count)
        {
            return (PulumiCommand.Other, -1);
        }

        var command = args[i] switch
        {
            "up" or "update" => PulumiCommand.Up,
            "preview" or "pre" => PulumiCommand.Preview,
            "destroy" or "down" or "dn" => PulumiCommand.Destroy,
            "refresh" => PulumiCommand.Refresh,
            "import" => PulumiCommand.Import,
            "stack" => PulumiCommand.StackInit, // refined below
            _ => PulumiCommand.Other,
        };
        if (command != PulumiCommand.StackInit)
        {
            return (command, command == PulumiCommand.Other ? -1 : i);
        }

        var stackFlags = new HashSet<string>(GlobalValueFlags, StringComparer.Ordinal) { "--stack" };
        var sub = SkipFlags(args, i + 1, stackFlags, GlobalValueShorthands + "s");
        return sub < args.Count
            ? args[sub] switch
            {
                "init" => (PulumiCommand.StackInit, sub),
                "rm" or "remove" => (PulumiCommand.StackRm, sub),
                _ => (PulumiCommand.Other, -1),
            }
            : (PulumiCommand.Other, -1);
    }

    private static int SkipFlags(List<string> args, int start, HashSet<string> valueFlags, string valueShorthands)
    {
        var i = start;
        while (i < args.Count)
        {
            var token = args[i];
            if (token == "--")
            {
                return args.Count;
            }

            if (token.Length < 2 || token[0] != '-')
            {
                return i;
            }

            if (token.StartsWith("--", StringComparison.Ordinal))
            {
                i += !token.Contains('=', StringComparison.Ordinal) && valueFlags.Contains(token) ? 2 : 1;
                continue;
            }

            // A value-taking shorthand as the last letter of its token takes the next argument as its value.
            var valueFollows = false;
            for (var c = 1; c < token.Length; c++)
            {
                if (valueShorthands.Contains(token[c], StringComparison.Ordinal))
                {
                    valueFollows = c == token.Length - 1;
                    break;
                }
            }

            i += valueFollows ? 2 : 1;
        }

        return i;
    }

    private static bool IsTrue(string value) => value is "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase);

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static HashSet<string> Set(params string[] flags) => new(flags, StringComparer.Ordinal);
}

/// <summary>A pulumi stack reference: <c>stack</c>, <c>org/stack</c> or fully qualified <c>org/project/stack</c>.</summary>
public sealed record StackReference(string? Organization, string? Project, string Stack)
{
    public static StackReference? Parse(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            return null;
        }

        var parts = reference.Trim().Split('/');
        if (parts.Any(string.IsNullOrEmpty))
        {
            return null;
        }

        return parts.Length switch
        {
            1 => new StackReference(null, null, parts[0]),
            2 => new StackReference(parts[0], null, parts[1]),
            3 => new StackReference(parts[0], parts[1], parts[2]),
            _ => null,
        };
    }

    public override string ToString() => string.Join('/', new[] { Organization, Project, Stack }.Where(p => p is not null));
}
