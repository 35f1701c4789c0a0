using System.Text;
using StackHooks.Delivery;

namespace StackHooks.Tests.Delivery;

public sealed class SignerTests
{
    // Expected values computed independently with `printf '%s' BODY | openssl dgst -sha256 -hmac SECRET`
    // (the last one with printf 'line1\r\nline2\n'); "Jefe" is RFC 4231 test case 2.
    [Theory]
    [InlineData("body", "secret", "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355")]
    [InlineData("", "secret", "f9e66e179b6747ae54108f82f8ade8b3c25d76fd30afde6c395822c530196169")]
    [InlineData("what do ya want for nothing?", "Jefe", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    [InlineData("{\"kind\":\"ping\",\"message\":\"héllo\"}", "sécret-ü", "06a32ac3b2ea90c0f66beba576491887f71b413dd04cda4c5d3d3b74f27a9ebb")]
    [InlineData("line1\r\nline2\n", "secret", "47c8075a1c32f4ba0b526f808ef91ff650baab6c6b18bf8ffac80adf1ab1ae8b")]
    public void SignatureIsLowercaseHexHmacSha256OfTheExactBodyBytesKeyedWithTheUtf8Secret(string body, string secret, string expected)
    {
        Assert.Equal(expected, Signer.Sign(Encoding.UTF8.GetBytes(body), secret));
    }

    [Fact]
    public void AnyChangeToTheBodyChangesTheSignature()
    {
        var signature = Signer.Sign("{\"a\":1}"u8, "secret");
        Assert.NotEqual(signature, Signer.Sign("{\"a\": 1}"u8, "secret"));
        Assert.NotEqual(signature, Signer.Sign("{\"a\":1}\n"u8, "secret"));
        Assert.NotEqual(signature, Signer.Sign("{\"a\":1}"u8, "Secret"));
    }

    [Fact]
    public void VerifyAcceptsTheSignatureInEitherCase()
    {
        const string signature = "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355";
        Assert.True(Signer.Verify("body"u8, "secret", signature));
        Assert.True(Signer.Verify("body"u8, "secret", signature.ToUpperInvariant()));
    }

    [Theory]
    [InlineData("body!", "secret", "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355")]
    [InlineData("body", "secret2", "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355")]
    [InlineData("body", "secret", "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d354")]
    [InlineData("body", "secret", "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d3")]
    [InlineData("body", "secret", "dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d35500")]
    [InlineData("body", "secret", "zz46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355")]
    [InlineData("body", "secret", "sha256=dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355")]
    [InlineData("body", "secret", "")]
    public void VerifyRejectsAnythingButTheSignatureOfThisBodyWithThisSecret(string body, string secret, string signature)
    {
        Assert.False(Signer.Verify(Encoding.UTF8.GetBytes(body), secret, signature));
    }

    [Fact]
    public void VerifyAcceptsWhatSignProduces()
    {
        var body = Encoding.UTF8.GetBytes(new string('x', 100_000));
        Assert.True(Signer.Verify(body, "a long secret with spaces and ünïcödé", Signer.Sign(body, "a long secret with spaces and ünïcödé")));
    }
}
