namespace StackHooks.Cli.Pulumi;

/// <summary>
/// The project a folder belongs to: the <c>name</c> of the nearest <c>Pulumi.yaml</c> (or <c>Pulumi.yml</c>) in the folder
/// or above it, found the way pulumi finds its project.
/// </summary>
public static class ProjectFile
{
    private static readonly string[] FileNames = ["Pulumi.yaml", "Pulumi.yml"];

    /// <summary>The project name for <paramref name="directory"/>, or null when no project file is found.</summary>
    public static string? FindProjectName(string directory)
    {
        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            if (ProjectFileIn(current.FullName) is { } file)
            {
                return ReadName(File.ReadAllText(file));
            }
        }

        return null;
    }

    /// <summary>The project file directly in <paramref name="directory"/>, or null.</summary>
    public static string? ProjectFileIn(string directory) =>
        FileNames.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);

    /// <summary>The top-level <c>name:</c> of a project file (quotes and trailing comments removed), or null.</summary>
    public static string? ReadName(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        foreach (var rawLine in yaml.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (!line.StartsWith("name:", StringComparison.Ordinal))
            {
                continue;
            }

            var value = line["name:".Length..].Trim();
            if (value.Length > 0 && value[0] is '"' or '\'')
            {
                var close = value.IndexOf(value[0], 1);
                return close > 1 ? value[1..close] : null;
            }

            var comment = value.IndexOf(" #", StringComparison.Ordinal);
            if (comment >= 0)
            {
                value = value[..comment].TrimEnd();
            }

            return value.Length > 0 ? value : null;
        }

        return null;
    }

    /// <summary>
    /// The folder under <paramref name="root"/> (itself included, breadth first, at most <paramref name="maxDepth"/> levels down,
    /// skipping hidden and dependency folders) whose project file names <paramref name="project"/>; null when there is none.
    /// </summary>
    public static string? FindProjectFolder(string root, string project, int maxDepth = 6)
    {
        ArgumentNullException.ThrowIfNull(project);
        var level = new List<string> { Path.GetFullPath(root) };
        for (var depth = 0; depth <= maxDepth && level.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var directory in level.Order(StringComparer.Ordinal))
            {
                if (ProjectFileIn(directory) is { } file && ReadName(SafeRead(file)) == project)
                {
                    return directory;
                }

                next.AddRange(SafeSubdirectories(directory).Where(d => !IsSkipped(Path.GetFileName(d))));
            }

            level = next;
        }

        return null;
    }

    private static bool IsSkipped(string name) =>
        name.StartsWith('.') || name is "node_modules" or "bin" or "obj" or "venv" or "__pycache__" or "vendor" or "target";

    private static string SafeRead(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static IEnumerable<string> SafeSubdirectories(string directory)
    {
        try
        {
            return Directory.GetDirectories(directory);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }
}
