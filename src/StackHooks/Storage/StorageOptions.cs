namespace StackHooks.Storage;

/// <summary>Settings of section <c>StackHooks:Database</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "StackHooks:Database";

    /// <summary><c>sqlite</c> (embedded, the default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>PostgreSQL connection string (Npgsql form); unused for SQLite, whose file lives in the data directory.</summary>
    public string? ConnectionString { get; set; }
}
