namespace StackHooks.Storage;

/// <summary>Settings of section <c>StackHooks:Database</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "StackHooks:Database";

    /// <summary><c>sqlite</c> (embedded, the default) or <c>postgres</c> (cluster mode).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>PostgreSQL connection string (Npgsql form); unused for SQLite, whose file lives in the data directory.</summary>
    public string? ConnectionString { get; set; }

    public StorageEngine Engine => Provider.ToUpperInvariant() switch
    {
        "POSTGRES" or "POSTGRESQL" => StorageEngine.Postgres,
        _ => StorageEngine.Sqlite,
    };

    /// <summary>What is wrong with these settings; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Provider.ToUpperInvariant() is not ("SQLITE" or "POSTGRES" or "POSTGRESQL"))
        {
            problems.Add($"{Section}:Provider must be 'sqlite' or 'postgres', not '{Provider}'.");
        }
        else if (Engine == StorageEngine.Postgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            problems.Add($"{Section}:ConnectionString is required when {Section}:Provider is 'postgres' (e.g. Host=db;Username=stackhooks;Password=…;Database=stackhooks).");
        }

        return problems;
    }

    /// <summary>Fails start-up with every problem spelled out.</summary>
    public sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<StorageOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, StorageOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            var problems = options.Validate();
            return problems.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems);
        }
    }
}
