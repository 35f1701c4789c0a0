using System.Net;
using System.Net.Sockets;
using System.Text;
using StackHooks.Delivery;

namespace StackHooks.Tests.Delivery;

public sealed class DestinationGuardTests
{
    [Theory]
    // IPv4
    [InlineData("0.0.0.0", "unspecified address 0.0.0.0")]
    [InlineData("0.0.0.1", "\"this network\" address (0.0.0.0/8) 0.0.0.1")]
    [InlineData("0.255.255.255", "\"this network\" address (0.0.0.0/8) 0.255.255.255")]
    [InlineData("10.0.0.0", "private network address (RFC 1918) 10.0.0.0")]
    [InlineData("10.1.2.3", "private network address (RFC 1918) 10.1.2.3")]
    [InlineData("10.255.255.255", "private network address (RFC 1918) 10.255.255.255")]
    [InlineData("172.16.0.0", "private network address (RFC 1918) 172.16.0.0")]
    [InlineData("172.31.255.255", "private network address (RFC 1918) 172.31.255.255")]
    [InlineData("192.168.0.0", "private network address (RFC 1918) 192.168.0.0")]
    [InlineData("192.168.255.255", "private network address (RFC 1918) 192.168.255.255")]
    [InlineData("100.64.0.0", "carrier-grade NAT address (RFC 6598) 100.64.0.0")]
    [InlineData("100.100.100.200", "carrier-grade NAT address (RFC 6598) 100.100.100.200")]
    [InlineData("100.127.255.255", "carrier-grade NAT address (RFC 6598) 100.127.255.255")]
    [InlineData("127.0.0.0", "loopback address 127.0.0.0")]
    [InlineData("127.0.0.1", "loopback address 127.0.0.1")]
    [InlineData("127.255.255.255", "loopback address 127.255.255.255")]
    [InlineData("169.254.0.0", "link-local address (includes cloud metadata 169.254.169.254) 169.254.0.0")]
    [InlineData("169.254.169.254", "link-local address (includes cloud metadata 169.254.169.254) 169.254.169.254")]
    [InlineData("169.254.255.255", "link-local address (includes cloud metadata 169.254.169.254) 169.254.255.255")]
    [InlineData("192.0.0.0", "IETF protocol assignment address (RFC 6890) 192.0.0.0")]
    [InlineData("192.0.0.170", "IETF protocol assignment address (RFC 6890) 192.0.0.170")]
    [InlineData("192.0.2.1", "documentation address (RFC 5737) 192.0.2.1")]
    [InlineData("198.51.100.7", "documentation address (RFC 5737) 198.51.100.7")]
    [InlineData("203.0.113.255", "documentation address (RFC 5737) 203.0.113.255")]
    [InlineData("198.18.0.0", "benchmarking address (RFC 2544) 198.18.0.0")]
    [InlineData("198.19.255.255", "benchmarking address (RFC 2544) 198.19.255.255")]
    [InlineData("224.0.0.0", "multicast address 224.0.0.0")]
    [InlineData("239.255.255.250", "multicast address 239.255.255.250")]
    [InlineData("240.0.0.0", "reserved address (240.0.0.0/4) 240.0.0.0")]
    [InlineData("255.255.255.254", "reserved address (240.0.0.0/4) 255.255.255.254")]
    [InlineData("255.255.255.255", "broadcast address 255.255.255.255")]
    // IPv6
    [InlineData("::", "unspecified address ::")]
    [InlineData("::1", "loopback address ::1")]
    [InlineData("fe80::1", "link-local address fe80::1")]
    [InlineData("fe80::1%2", "link-local address fe80::1")]
    [InlineData("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local address febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("fc00::", "unique-local IPv6 address fc00::")]
    [InlineData("fd00:ec2::254", "unique-local IPv6 address fd00:ec2::254")]
    [InlineData("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique-local IPv6 address fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("fec0::1", "site-local IPv6 address (deprecated) fec0::1")]
    [InlineData("ff02::1", "multicast address ff02::1")]
    [InlineData("ff0e::101", "multicast address ff0e::101")]
    [InlineData("100::1", "discard-only address (RFC 6666) 100::1")]
    [InlineData("2001::1", "Teredo tunnelling address 2001::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo tunnelling address 2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    [InlineData("2001:2::1", "benchmarking address (RFC 5180) 2001:2::1")]
    [InlineData("2001:db8::1", "documentation address (RFC 3849) 2001:db8::1")]
    [InlineData("3fff::1", "documentation address (RFC 9637) 3fff::1")]
    [InlineData("64:ff9b:1::a00:1", "local-use NAT64 address (RFC 8215) 64:ff9b:1::a00:1")]
    [InlineData("1fff:ffff::1", "IPv6 address outside global unicast (2000::/3) 1fff:ffff::1")]
    [InlineData("4000::1", "IPv6 address outside global unicast (2000::/3) 4000::1")]
    [InlineData("fe00::1", "IPv6 address outside global unicast (2000::/3) fe00::1")]
    // IPv6 forms carrying an IPv4 address
    [InlineData("::ffff:127.0.0.1", "IPv4-mapped IPv6 address ::ffff:127.0.0.1 of a blocked IPv4 address: loopback address 127.0.0.1")]
    [InlineData("::ffff:7f00:1", "IPv4-mapped IPv6 address ::ffff:127.0.0.1 of a blocked IPv4 address: loopback address 127.0.0.1")]
    [InlineData("::ffff:10.0.0.1", "IPv4-mapped IPv6 address ::ffff:10.0.0.1 of a blocked IPv4 address: private network address (RFC 1918) 10.0.0.1")]
    [InlineData("::ffff:169.254.169.254", "IPv4-mapped IPv6 address ::ffff:169.254.169.254 of a blocked IPv4 address: link-local address (includes cloud metadata 169.254.169.254) 169.254.169.254")]
    [InlineData("::ffff:0.0.0.0", "IPv4-mapped IPv6 address ::ffff:0:0 of a blocked IPv4 address: unspecified address 0.0.0.0")]
    [InlineData("::ffff:0:127.0.0.1", "IPv4-translated IPv6 address ::ffff:0:127.0.0.1 of a blocked IPv4 address: loopback address 127.0.0.1")]
    [InlineData("::127.0.0.1", "IPv4-compatible IPv6 address (deprecated) ::127.0.0.1")]
    [InlineData("::8.8.8.8", "IPv4-compatible IPv6 address (deprecated) ::8.8.8.8")]
    [InlineData("64:ff9b::127.0.0.1", "NAT64 address 64:ff9b::7f00:1 of a blocked IPv4 address: loopback address 127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe", "NAT64 address 64:ff9b::a9fe:a9fe of a blocked IPv4 address: link-local address (includes cloud metadata 169.254.169.254) 169.254.169.254")]
    [InlineData("2002:7f00:1::1", "6to4 address 2002:7f00:1::1 of a blocked IPv4 address: loopback address 127.0.0.1")]
    [InlineData("2002:c0a8:101::", "6to4 address 2002:c0a8:101:: of a blocked IPv4 address: private network address (RFC 1918) 192.168.1.1")]
    [InlineData("2002:6440:1::", "6to4 address 2002:6440:1:: of a blocked IPv4 address: carrier-grade NAT address (RFC 6598) 100.64.0.1")]
    public void BlockedAddressesComeWithAReason(string address, string reason)
    {
        Assert.Equal(reason, DestinationGuard.WhyBlocked(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("1.0.0.0")]
    [InlineData("9.255.255.255")]
    [InlineData("11.0.0.0")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("126.255.255.255")]
    [InlineData("128.0.0.0")]
    [InlineData("169.253.255.255")]
    [InlineData("169.255.0.0")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("192.0.1.255")]
    [InlineData("192.0.3.0")]
    [InlineData("192.88.99.1")]
    [InlineData("192.167.255.255")]
    [InlineData("192.169.0.0")]
    [InlineData("198.17.255.255")]
    [InlineData("198.20.0.0")]
    [InlineData("223.255.255.255")]
    [InlineData("2606:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("2a00:1450:4001:80b::200e")]
    [InlineData("2000::")]
    [InlineData("2001:1::1")]
    [InlineData("3ffe:ffff::1")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("::ffff:0:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("2002:808:808::1")]
    public void PublicAddressesAreAllowed(string address)
    {
        Assert.Null(DestinationGuard.WhyBlocked(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("2130706433", "127.0.0.1")]
    [InlineData("0177.0.0.1", "127.0.0.1")]
    [InlineData("0177.0.0.01", "127.0.0.1")]
    [InlineData("00000000000000177.0.0.1", "127.0.0.1")]
    [InlineData("017700000001", "127.0.0.1")]
    [InlineData("0x7f.0.0.1", "127.0.0.1")]
    [InlineData("0X7F.0x0.0.0x1", "127.0.0.1")]
    [InlineData("0x7f000001", "127.0.0.1")]
    [InlineData("0x00000000007f.1", "127.0.0.1")]
    [InlineData("127.1", "127.0.0.1")]
    [InlineData("127.0.1", "127.0.0.1")]
    [InlineData("0x7f.1", "127.0.0.1")]
    [InlineData("127.0.0.1.", "127.0.0.1")]
    [InlineData(" 127.0.0.1 ", "127.0.0.1")]
    [InlineData("0", "0.0.0.0")]
    [InlineData("0x", "0.0.0.0")]
    [InlineData("3232235521", "192.168.0.1")]
    [InlineData("0xa9fea9fe", "169.254.169.254")]
    [InlineData("0251.0376.0251.0376", "169.254.169.254")]
    [InlineData("169.254.43518", "169.254.169.254")]
    [InlineData("169.16689662", "169.254.169.254")]
    [InlineData("4294967295", "255.255.255.255")]
    [InlineData("8.8.8.8", "8.8.8.8")]
    [InlineData("[::1]", "::1")]
    [InlineData("::1", "::1")]
    [InlineData("[::ffff:127.0.0.1]", "::ffff:127.0.0.1")]
    [InlineData("[0:0:0:0:0:ffff:7f00:1]", "::ffff:127.0.0.1")]
    [InlineData("[fe80::1%25eth0]", "fe80::1")]
    [InlineData("[2606:4700::1111]", "2606:4700::1111")]
    public void OddSpellingsOfAddressesAreRecognised(string host, string expected)
    {
        Assert.True(DestinationGuard.TryParseHostAsAddress(host, out var address));
        Assert.Equal(IPAddress.Parse(expected).GetAddressBytes(), address.GetAddressBytes());
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(".")]
    [InlineData("example.com")]
    [InlineData("localhost")]
    [InlineData("0x7f.example.com")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.256")]
    [InlineData("1.2.65536")]
    [InlineData("127.16777216")]
    [InlineData("4294967296")]
    [InlineData("99999999999999999999999")]
    [InlineData("08.0.0.1")]
    [InlineData("0x7g.0.0.1")]
    [InlineData("1..1")]
    [InlineData("127.0.0.1..")]
    [InlineData(".127.0.0.1")]
    [InlineData("1.2.3.4 x")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1e2")]
    [InlineData("[::1")]
    [InlineData("[not:an:address]")]
    [InlineData("[127.0.0.1]")]
    [InlineData("::ffff:0x7f.1")]
    public void NamesAndMalformedHostsAreNotAddresses(string host)
    {
        Assert.False(DestinationGuard.TryParseHostAsAddress(host, out _));
    }

    /// <summary>What the guard sees of a URL is the host <see cref="Uri"/> hands to HttpClient (its IdnHost).</summary>
    [Theory]
    [InlineData("http://0x7f000001/", "loopback address 127.0.0.1")]
    [InlineData("http://2130706433/", "loopback address 127.0.0.1")]
    [InlineData("http://0177.0.0.1/", "loopback address 127.0.0.1")]
    [InlineData("http://017700000001/", "loopback address 127.0.0.1")]
    [InlineData("http://0x7f.0.0.1/", "loopback address 127.0.0.1")]
    [InlineData("http://127.1/", "loopback address 127.0.0.1")]
    [InlineData("http://127.0.1/", "loopback address 127.0.0.1")]
    [InlineData("http://127.0.0.1./", "loopback address 127.0.0.1")]
    [InlineData("http://①②⑦.0.0.1/", "loopback address 127.0.0.1")]
    [InlineData("http://127。0。0。1/", "loopback address 127.0.0.1")]
    [InlineData("http://[::1]:8080/", "loopback address ::1")]
    [InlineData("http://[::ffff:7f00:1]/", "IPv4-mapped IPv6 address ::ffff:127.0.0.1 of a blocked IPv4 address: loopback address 127.0.0.1")]
    [InlineData("http://0/", "unspecified address 0.0.0.0")]
    [InlineData("http://0xa9fea9fe/latest/meta-data/", "link-local address (includes cloud metadata 169.254.169.254) 169.254.169.254")]
    [InlineData("http://169.254.43518/", "link-local address (includes cloud metadata 169.254.169.254) 169.254.169.254")]
    [InlineData("http://[fd00:ec2::254]/", "unique-local IPv6 address fd00:ec2::254")]
    public void OddlySpelledPayloadUrlsAreClassifiedByTheAddressTheyMean(string url, string reason)
    {
        var host = new Uri(url).IdnHost;
        Assert.True(DestinationGuard.TryParseHostAsAddress(host, out var address), host);
        Assert.Equal(reason, DestinationGuard.WhyBlocked(address));
    }

    [Fact]
    public void BlockedReasonFindsTheGuardsExceptionWhereverItIsWrapped()
    {
        var blocked = new DestinationBlockedException("localhost", "loopback address 127.0.0.1");
        Assert.Equal("loopback address 127.0.0.1", DestinationGuard.BlockedReason(blocked));
        Assert.Equal("loopback address 127.0.0.1", DestinationGuard.BlockedReason(new HttpRequestException("x", blocked)));
        Assert.Equal("loopback address 127.0.0.1",
            DestinationGuard.BlockedReason(new TaskCanceledException("x", new AggregateException(new IOException(), new HttpRequestException("y", blocked)))));
        Assert.Null(DestinationGuard.BlockedReason(null));
        Assert.Null(DestinationGuard.BlockedReason(new HttpRequestException("x", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.Contains("localhost", blocked.Message, StringComparison.Ordinal);
        Assert.Contains("loopback address 127.0.0.1", blocked.Message, StringComparison.Ordinal);
        Assert.Contains("AllowPrivateNetworks", blocked.Message, StringComparison.Ordinal);
    }

    // ---- Through a real HttpClient and a real listener. Only loopback addresses are ever connected to. ----

    private static HttpClient Client(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect) =>
        new(new SocketsHttpHandler { ConnectCallback = connect, AllowAutoRedirect = false, UseProxy = false });

    private static TcpListener Listen(IPAddress address, int port = 0)
    {
        var listener = new TcpListener(address, port);
        listener.Start();
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Accepts one connection, reads one request head and answers 204; returns the head.</summary>
    private static async Task<string> ServeOneAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        using var connection = await listener.AcceptTcpClientAsync(cancellationToken);
        var stream = connection.GetStream();
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        await stream.WriteAsync("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), cancellationToken);
        return head.ToString();
    }

    [Theory]
    [InlineData("127.0.0.1", "loopback address 127.0.0.1")]
    [InlineData("localhost", "loopback address")]
    [InlineData("0x7f000001", "loopback address 127.0.0.1")]
    [InlineData("2130706433", "loopback address 127.0.0.1")]
    [InlineData("0177.0.0.1", "loopback address 127.0.0.1")]
    [InlineData("127.1", "loopback address 127.0.0.1")]
    [InlineData("127.0.0.1.", "loopback address 127.0.0.1")]
    [InlineData("[::1]", "loopback address ::1")]
    [InlineData("[::ffff:127.0.0.1]", "IPv4-mapped IPv6 address ::ffff:127.0.0.1 of a blocked IPv4 address: loopback address 127.0.0.1")]
    [InlineData("0.0.0.0", "unspecified address 0.0.0.0")]
    [InlineData("0", "unspecified address 0.0.0.0")]
    public async Task TheGuardRefusesALoopbackReceiverBeforeAnyConnectionIsMade(string host, string reason)
    {
        using var listener = Listen(IPAddress.Loopback);
        using var client = Client(DestinationGuard.ConnectCallback(allowPrivateNetworks: false));

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => client.GetAsync($"http://{host}:{Port(listener)}/hook", TestContext.Current.CancellationToken));

        Assert.StartsWith(reason, DestinationGuard.BlockedReason(error));
        Assert.IsType<DestinationBlockedException>(error.InnerException);
        // A connection, had one been made, would be in the accept queue once ConnectAsync returned.
        Assert.False(listener.Pending());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("0x7f000001")]
    public async Task WithPrivateNetworksAllowedTheSameReceiverIsReached(string host)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var listener = Listen(IPAddress.Loopback);
        using var client = Client(DestinationGuard.ConnectCallback(allowPrivateNetworks: true));

        var served = ServeOneAsync(listener, cancellationToken);
        using var response = await client.GetAsync($"http://{host}:{Port(listener)}/hook", cancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.StartsWith("GET /hook HTTP/1.1\r\n", await served);
    }

    [Fact]
    public async Task BlockedAddressesAreSkippedAndAnAllowedOneIsConnectedTo()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var allowed = Listen(IPAddress.Loopback);
        using var blocked = Listen(IPAddress.Parse("127.0.0.2"), Port(allowed));
        var connect = DestinationGuard.ConnectCallback(
            a => a.Equals(IPAddress.Parse("127.0.0.2")) ? "test: blocked" : null,
            (_, _) => ValueTask.FromResult(new[] { IPAddress.Parse("127.0.0.2"), IPAddress.Loopback }));
        using var client = Client(connect);

        var served = ServeOneAsync(allowed, cancellationToken);
        using var response = await client.GetAsync($"http://receiver.test:{Port(allowed)}/", cancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains("Host: receiver.test:", await served, StringComparison.Ordinal);
        Assert.False(blocked.Pending());
    }

    [Fact]
    public async Task EachAllowedAddressIsTriedInTurn()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var listener = Listen(IPAddress.Loopback);
        // Nothing listens on 127.0.0.2 at that port: the first connection is refused.
        var connect = DestinationGuard.ConnectCallback(
            _ => null, (_, _) => ValueTask.FromResult(new[] { IPAddress.Parse("127.0.0.2"), IPAddress.Loopback }));
        using var client = Client(connect);

        var served = ServeOneAsync(listener, cancellationToken);
        using var response = await client.GetAsync($"http://receiver.test:{Port(listener)}/", cancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await served;
    }

    [Fact]
    public async Task WhenEveryAddressIsBlockedTheFirstReasonIsGiven()
    {
        using var listener = Listen(IPAddress.Loopback);
        var connect = DestinationGuard.ConnectCallback(
            a => $"test: {a} blocked", (_, _) => ValueTask.FromResult(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }));
        using var client = Client(connect);

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => client.GetAsync($"http://receiver.test:{Port(listener)}/", TestContext.Current.CancellationToken));

        var blocked = Assert.IsType<DestinationBlockedException>(error.InnerException);
        Assert.Equal("test: 127.0.0.1 blocked", blocked.Reason);
        Assert.Equal("receiver.test", blocked.Host);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task AnUnreachableReceiverIsAConnectionErrorNotABlockedDestination()
    {
        using var listener = Listen(IPAddress.Loopback);
        var connect = DestinationGuard.ConnectCallback(_ => null, (_, _) => ValueTask.FromResult(new[] { IPAddress.Parse("127.0.0.2") }));
        using var client = Client(connect);

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => client.GetAsync($"http://receiver.test:{Port(listener)}/", TestContext.Current.CancellationToken));

        Assert.Null(DestinationGuard.BlockedReason(error));
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
    }
}
