using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace StackHooks.Delivery;

/// <summary>
/// Protection against server-side request forgery (SPEC §5 "Destination guard"): deliveries go only to globally reachable
/// unicast addresses unless <see cref="DeliveryOptions.AllowPrivateNetworks"/> is on.
/// </summary>
/// <remarks>
/// <para>
/// The rule: an address is blocked when the public internet could not route to it — loopback, RFC 1918, CGNAT (which also
/// holds Alibaba's metadata address 100.100.100.200), link-local (cloud metadata 169.254.169.254, fe80::/10), unique-local
/// (fc00::/7, AWS's fd00:ec2::254), site-local, unspecified, "this network", multicast, broadcast and reserved ranges, and the
/// documentation and benchmarking ranges (never a real receiver; 198.18.0.0/15 is used inside networks). In IPv6 only global
/// unicast (2000::/3) is allowed, minus its special ranges; the forms that carry an IPv4 address (IPv4-mapped, SIIT-translated,
/// NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address; IPv4-compatible (::a.b.c.d, deprecated), local-use
/// NAT64 (64:ff9b:1::/48) and Teredo (2001::/32, which hides its IPv4 addresses) are blocked outright.
/// </para>
/// <para>
/// The check happens in <see cref="ConnectCallback(bool)"/> on the very addresses the socket connects to, after name
/// resolution, so neither a DNS name pointing inwards nor DNS rebinding passes. Set <c>UseProxy = false</c> on the
/// <see cref="SocketsHttpHandler"/>: through a proxy the callback sees only the proxy's address.
/// </para>
/// </remarks>
public static class DestinationGuard
{
    private enum Embedded { None, Mapped, Translated, Nat64, SixToFour }

    private static readonly (IPNetwork Network, string Reason)[] BlockedIPv4 =
    [
        (IPNetwork.Parse("0.0.0.0/32"), "unspecified address"),
        (IPNetwork.Parse("0.0.0.0/8"), "\"this network\" address (0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), "private network address (RFC 1918)"),
        (IPNetwork.Parse("172.16.0.0/12"), "private network address (RFC 1918)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private network address (RFC 1918)"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT address (RFC 6598)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local address (includes cloud metadata 169.254.169.254)"),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignment address (RFC 6890)"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation address (RFC 5737)"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation address (RFC 5737)"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation address (RFC 5737)"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking address (RFC 2544)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast address"),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved address (240.0.0.0/4)"),
    ];

    private static readonly (IPNetwork Network, string Reason)[] BlockedIPv6 =
    [
        (IPNetwork.Parse("::/128"), "unspecified address"),
        (IPNetwork.Parse("::1/128"), "loopback address"),
        (IPNetwork.Parse("::/96"), "IPv4-compatible IPv6 address (deprecated)"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64 address (RFC 8215)"),
        (IPNetwork.Parse("100::/64"), "discard-only address (RFC 6666)"),
        (IPNetwork.Parse("2001::/32"), "Teredo tunnelling address"),
        (IPNetwork.Parse("2001:2::/48"), "benchmarking address (RFC 5180)"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation address (RFC 3849)"),
        (IPNetwork.Parse("3fff::/20"), "documentation address (RFC 9637)"),
        (IPNetwork.Parse("fc00::/7"), "unique-local IPv6 address"),
        (IPNetwork.Parse("fe80::/10"), "link-local address"),
        (IPNetwork.Parse("fec0::/10"), "site-local IPv6 address (deprecated)"),
        (IPNetwork.Parse("ff00::/8"), "multicast address"),
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");
    private static readonly IPNetwork Translated = IPNetwork.Parse("::ffff:0:0:0/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>Why a delivery must not connect to <paramref name="address"/>, as a short phrase ending in the address; null when allowed.</summary>
    public static string? WhyBlocked(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return WhyBlockedIPv4(address);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return $"not an IP address: {address}";
        }

        var (kind, embedded) = EmbeddedIPv4(address);
        if (kind != Embedded.None)
        {
            var inner = WhyBlockedIPv4(embedded!);
            if (inner is null)
            {
                return null;
            }

            var form = kind switch
            {
                Embedded.Mapped => "IPv4-mapped IPv6 address",
                Embedded.Translated => "IPv4-translated IPv6 address",
                Embedded.Nat64 => "NAT64 address",
                _ => "6to4 address",
            };
            return $"{form} {Format(address)} of a blocked IPv4 address: {inner}";
        }

        foreach (var (network, reason) in BlockedIPv6)
        {
            if (network.Contains(address))
            {
                return $"{reason} {Format(address)}";
            }
        }

        return GlobalUnicast.Contains(address) ? null : $"IPv6 address outside global unicast (2000::/3) {Format(address)}";
    }

    /// <summary>
    /// Reads <paramref name="host"/> (a URL's host or a <see cref="DnsEndPoint.Host"/>) as an IP address when it is one,
    /// including the IPv4 spellings inet_aton and browsers accept: decimal, octal and hex parts (<c>0177.0.0.1</c>,
    /// <c>0x7f.0.0.1</c>), one to four parts (<c>127.1</c>, <c>2130706433</c>, <c>0x7f000001</c>), a trailing dot, and IPv6
    /// with or without brackets and zone. False for anything else, which is then a name to resolve.
    /// </summary>
    public static bool TryParseHostAsAddress(string host, out IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(host);
        address = IPAddress.None;
        var text = host.Trim();
        var bracketed = text.StartsWith('[') && text.EndsWith(']');
        if (bracketed)
        {
            text = text[1..^1];
        }

        if (bracketed || text.Contains(':', StringComparison.Ordinal))
        {
            // A zone arrives URL-encoded ("fe80::1%25eth0"); the zone does not change how the address is judged.
            var zone = text.IndexOf('%', StringComparison.Ordinal);
            if (IPAddress.TryParse(text, out var v6) || (zone > 0 && IPAddress.TryParse(text[..zone], out v6)))
            {
                if (v6.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    address = v6;
                    return true;
                }
            }

            return false;
        }

        if (TryParseIPv4(text, out var value))
        {
            address = new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
            return true;
        }

        return false;
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/> that resolves the host and connects to its addresses in turn,
    /// skipping blocked ones unless <paramref name="allowPrivateNetworks"/>. When every address is blocked it throws
    /// <see cref="DestinationBlockedException"/>, which reaches the caller inside an <see cref="HttpRequestException"/>:
    /// use <see cref="BlockedReason"/> to find it.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(bool allowPrivateNetworks) =>
        ConnectCallback(allowPrivateNetworks ? _ => null : WhyBlocked, ResolveAsync);

    /// <summary>The same, with the policy and the resolver as seams for tests.</summary>
    internal static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(
        Func<IPAddress, string?> whyBlocked, Func<string, CancellationToken, ValueTask<IPAddress[]>> resolve) =>
        async (context, cancellationToken) =>
        {
            var endpoint = context.DnsEndPoint;
            var addresses = await resolve(endpoint.Host, cancellationToken);
            string? firstReason = null;
            ExceptionDispatchInfo? lastError = null;
            foreach (var resolved in addresses)
            {
                var address = resolved.IsIPv4MappedToIPv6 ? resolved.MapToIPv4() : resolved;
                var reason = whyBlocked(resolved);
                if (reason is not null)
                {
                    firstReason ??= reason;
                    continue;
                }

                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    lastError = ExceptionDispatchInfo.Capture(e);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }

            lastError?.Throw();
            if (firstReason is not null)
            {
                throw new DestinationBlockedException(endpoint.Host, firstReason);
            }

            throw new SocketException((int)SocketError.HostNotFound);
        };

    /// <summary>
    /// The reason of a <see cref="DestinationBlockedException"/> in <paramref name="exception"/> or its inner exceptions
    /// (HttpClient wraps it in an <see cref="HttpRequestException"/>); null when the failure was something else.
    /// </summary>
    public static string? BlockedReason(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DestinationBlockedException blocked)
            {
                return blocked.Reason;
            }

            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (BlockedReason(inner) is { } reason)
                    {
                        return reason;
                    }
                }

                return null;
            }
        }

        return null;
    }

    private static async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (TryParseHostAsAddress(host, out var literal))
        {
            return [literal];
        }

        return await Dns.GetHostAddressesAsync(host, cancellationToken);
    }

    private static string? WhyBlockedIPv4(IPAddress address)
    {
        foreach (var (network, reason) in BlockedIPv4)
        {
            if (network.Contains(address))
            {
                return $"{reason} {address}";
            }
        }

        return null;
    }

    private static (Embedded Kind, IPAddress? IPv4) EmbeddedIPv4(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (address.IsIPv4MappedToIPv6)
        {
            return (Embedded.Mapped, new IPAddress(bytes[12..]));
        }

        if (Translated.Contains(address))
        {
            return (Embedded.Translated, new IPAddress(bytes[12..]));
        }

        if (Nat64.Contains(address))
        {
            return (Embedded.Nat64, new IPAddress(bytes[12..]));
        }

        if (SixToFour.Contains(address))
        {
            return (Embedded.SixToFour, new IPAddress(bytes[2..6]));
        }

        return (Embedded.None, null);
    }

    private static string Format(IPAddress address) => address.ScopeId == 0 ? address.ToString() : new IPAddress(address.GetAddressBytes()).ToString();

    /// <summary>The WHATWG URL / inet_aton IPv4 grammar: 1–4 parts, each decimal, octal (leading 0) or hex (0x).</summary>
    private static bool TryParseIPv4(string text, out uint value)
    {
        value = 0;
        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        if (text.Length == 0)
        {
            return false;
        }

        var parts = text.Split('.');
        if (parts.Length > 4)
        {
            return false;
        }

        var numbers = new ulong[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryParsePart(parts[i], out numbers[i]))
            {
                return false;
            }
        }

        ulong result = 0;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (numbers[i] > 255)
            {
                return false;
            }

            result |= numbers[i] << (8 * (3 - i));
        }

        var last = numbers[^1];
        if (last >= 1UL << (8 * (5 - parts.Length)))
        {
            return false;
        }

        value = (uint)(result | last);
        return true;
    }

    private static bool TryParsePart(string part, out ulong number)
    {
        number = 0;
        if (part.Length == 0)
        {
            return false;
        }

        var radix = 10;
        var digits = part.AsSpan();
        if (digits.Length >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        {
            radix = 16;
            digits = digits[2..];
        }
        else if (digits.Length >= 2 && digits[0] == '0')
        {
            radix = 8;
            digits = digits[1..];
        }

        foreach (var c in digits)
        {
            int digit;
            if (char.IsAsciiDigit(c))
            {
                digit = c - '0';
            }
            else if (radix == 16 && char.IsAsciiHexDigit(c))
            {
                digit = char.ToLowerInvariant(c) - 'a' + 10;
            }
            else
            {
                return false;
            }

            if (digit >= radix)
            {
                return false;
            }

            number = (number * (ulong)radix) + (ulong)digit;
            if (number > uint.MaxValue)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A delivery refused by <see cref="DestinationGuard"/>: every address of the destination is blocked.</summary>
public sealed class DestinationBlockedException : Exception
{
    public DestinationBlockedException()
        : this("destination blocked")
    {
    }

    public DestinationBlockedException(string message)
        : base(message)
    {
        Reason = message;
    }

    public DestinationBlockedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public DestinationBlockedException(string host, string reason)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Destination {host} is blocked: {reason}. Set StackHooks:Delivery:AllowPrivateNetworks to allow it."))
    {
        Host = host;
        Reason = reason;
    }

    /// <summary>What was blocked, e.g. <c>loopback address 127.0.0.1</c>.</summary>
    public string Reason { get; }

    /// <summary>The host of the refused URL, when known.</summary>
    public string? Host { get; }
}
