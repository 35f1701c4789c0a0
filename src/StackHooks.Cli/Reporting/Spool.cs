using System.Text.Json;

namespace StackHooks.Cli.Reporting;

/// <summary>
/// A spooled request as stored on disk: when it was made, the server it was meant for (for the person reading the file: a
/// flush sends it to the server configured then), and the request itself. Never the token.
/// </summary>
public sealed record SpoolEntry(int Format, string Server, DateTimeOffset Created, PendingRequest Request);

/// <summary>
/// The folder where requests that could not be sent wait for the next <c>stackhooks run</c>, <c>runner</c> or <c>flush</c>:
/// one JSON file per request, named so that sorting the names gives the order they were made in. Files are written
/// under a temporary name and renamed, so a reader never sees half a file; a sender holds an exclusive lock on the file
/// while it sends it, so two processes flushing at once do not both send it (and if they did, the idempotency key would
/// make the server record it once).
/// </summary>
public sealed class Spool(string directory)
{
    private const string Extension = ".json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static int sequence;

    public string Directory { get; } = directory;

    /// <summary>Where entries the server refused for good are moved, to be looked at and removed by hand.</summary>
    public string RejectedDirectory => Path.Combine(Directory, "rejected");

    /// <summary>Writes <paramref name="request"/> to the spool and returns the file's path.</summary>
    public string Save(PendingRequest request, string server)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var name = $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId:D7}-{Interlocked.Increment(ref sequence):D4}{Extension}";
        var path = Path.Combine(Directory, name);
        var temporary = path + ".tmp";
        var entry = new SpoolEntry(1, server, DateTimeOffset.UtcNow, request);
        File.WriteAllText(temporary, JsonSerializer.Serialize(entry, Json));
        File.Move(temporary, path);
        return path;
    }

    /// <summary>The spooled files, oldest first (none when the folder cannot be read).</summary>
    public IReadOnlyList<string> Files()
    {
        try
        {
            return System.IO.Directory.Exists(Directory)
                ? System.IO.Directory.GetFiles(Directory, "*" + Extension).Order(StringComparer.Ordinal).ToList()
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// Takes the entry at <paramref name="path"/> for sending: null when another process holds it or it is gone.
    /// A file that cannot be read as an entry is moved aside and reported through <paramref name="unreadable"/>.
    /// </summary>
    public SpoolLease? TryTake(string path, Action<string> unreadable)
    {
        ArgumentNullException.ThrowIfNull(unreadable);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (IOException)
        {
            return null; // locked by another process
        }

        try
        {
            var entry = JsonSerializer.Deserialize<SpoolEntry>(stream, Json);
            if (entry?.Request is null || string.IsNullOrEmpty(entry.Request.Method) || string.IsNullOrEmpty(entry.Request.PathTemplate))
            {
                throw new JsonException("not a spool entry");
            }

            return new SpoolLease(this, path, stream, entry);
        }
        catch (JsonException)
        {
            stream.Dispose();
            unreadable(MoveAside(path));
            return null;
        }
    }

    /// <summary>Moves a file out of the way of future flushes, into <see cref="RejectedDirectory"/>; returns its new path.</summary>
    internal string MoveAside(string path)
    {
        System.IO.Directory.CreateDirectory(RejectedDirectory);
        var target = Path.Combine(RejectedDirectory, Path.GetFileName(path));
        File.Move(path, target, overwrite: true);
        return target;
    }
}

/// <summary>A spooled entry held for sending; <see cref="Complete"/> removes it, disposing without completing leaves it.</summary>
public sealed class SpoolLease(Spool spool, string path, FileStream stream, SpoolEntry entry) : IDisposable
{
    public SpoolEntry Entry { get; } = entry;

    public string Path { get; } = path;

    /// <summary>The server has it: the file goes.</summary>
    public void Complete()
    {
        if (!OperatingSystem.IsWindows())
        {
            File.Delete(Path); // while still holding the lock, so no other process can take it in between
        }

        stream.Dispose();
        File.Delete(Path);
    }

    /// <summary>The server refused it for good: the file is moved aside; returns where.</summary>
    public string Reject()
    {
        stream.Dispose();
        return spool.MoveAside(Path);
    }

    public void Dispose() => stream.Dispose();
}
