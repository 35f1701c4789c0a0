using System.Security.Cryptography;
using System.Text;

namespace StackHooks.Delivery;

/// <summary>
/// The <c>Pulumi-Webhook-Signature</c> header (SPEC §5): lowercase hex HMAC-SHA256 of the exact body bytes, keyed with the
/// secret's UTF-8 bytes.
/// </summary>
public static class Signer
{
    public static string Sign(ReadOnlySpan<byte> body, string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Whether <paramref name="signature"/> (hex, either case) is the signature of <paramref name="body"/>, compared in
    /// constant time.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> body, string secret, string signature)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(signature);
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (signature.Length != 2 * HMACSHA256.HashSizeInBytes
            || Convert.FromHexString(signature, given, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != given.Length)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
