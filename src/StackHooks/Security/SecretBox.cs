using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackHooks.Storage;

namespace StackHooks.Security;

/// <summary>
/// Encrypts webhook secrets at rest with AES-256-GCM. The key comes from <c>StackHooks:SecretsKey</c> or, in embedded
/// mode, from <c>secrets.key</c> in the data directory (generated on first start, readable only by its owner).
/// </summary>
public sealed class SecretBox
{
    private const string Prefix = "v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] key;

    public SecretBox(IOptions<StackHooksOptions> options, IOptions<StorageOptions> storage)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        if (storage.Value.Engine == StorageEngine.Postgres && string.IsNullOrWhiteSpace(options.Value.SecretsKey))
        {
            // Every node must read the secrets every other node wrote: a key generated per machine would not do.
            throw new InvalidOperationException(
                "StackHooks:SecretsKey is required when StackHooks:Database:Provider is 'postgres': every node must use the same key. " +
                "Generate one with `openssl rand -base64 32` and give it to all nodes (environment variable StackHooks__SecretsKey).");
        }

        key = LoadKey(options.Value);
    }

    public string Encrypt(string plaintext)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length));
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    public string Decrypt(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("Unknown secret encoding.");
        }

        var sealedBytes = Convert.FromBase64String(stored[Prefix.Length..]);
        var length = sealedBytes.Length - NonceSize - TagSize;
        var plain = new byte[length];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plain);
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>Lowercase hex SHA-256 of the secret: the <c>secretCiphertext</c> Pulumi Cloud returns.</summary>
    public static string Fingerprint(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static byte[] LoadKey(StackHooksOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.SecretsKey))
        {
            return ParseKey(options.SecretsKey, "StackHooks:SecretsKey");
        }

        var path = options.DataPath("secrets.key");
        if (File.Exists(path))
        {
            return ParseKey(File.ReadAllText(path).Trim(), path);
        }

        var generated = RandomNumberGenerator.GetBytes(32);
        OwnerOnlyFile.Write(path, Convert.ToBase64String(generated) + "\n");
        return generated;
    }

    private static byte[] ParseKey(string base64, string source)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The secrets key in {source} is not valid base64.");
        }

        return bytes.Length == 32
            ? bytes
            : throw new InvalidOperationException($"The secrets key in {source} must be 32 bytes (base64 of 32 random bytes); it is {bytes.Length}.");
    }
}

/// <summary>Writes files that hold keys and tokens so that only their owner can read them.</summary>
public static class OwnerOnlyFile
{
    public static void Write(string path, string content)
    {
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // also when the file existed
        }
    }
}
