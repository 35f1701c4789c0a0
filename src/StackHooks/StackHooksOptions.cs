namespace StackHooks;

/// <summary>Top-level settings (section <c>StackHooks</c>), SPEC §9.</summary>
public sealed class StackHooksOptions
{
    public const string Section = "StackHooks";

    /// <summary>Embedded database, generated keys and the admin token file.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Base URL used in payload links; the first listening URL when unset.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Base64 AES key for secrets at rest; generated into the data directory when unset (embedded mode only).</summary>
    public string? SecretsKey { get; set; }

    public string DataPath(string fileName) => Path.Combine(Path.GetFullPath(DataDirectory), fileName);
}
