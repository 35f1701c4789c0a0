using System.Security.Cryptography;
using System.Text;

namespace StackHooks.Accounts;

/// <summary>Access token values and their stored form (only a SHA-256 hash is ever written).</summary>
public static class AccessTokens
{
    /// <summary>A new token value in Pulumi's shape: <c>pul-</c> and 40 hex characters.</summary>
    public static string NewValue() => "pul-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
