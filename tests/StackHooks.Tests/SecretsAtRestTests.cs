using System.Net;
using System.Net.Http.Json;
using System.Text;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>Webhook secrets are stored encrypted, access tokens only as hashes (SPEC §3, §7): never in plain text on disk or in logs.</summary>
public sealed class SecretsAtRestTests(LoggedStackHooksApp app) : IClassFixture<LoggedStackHooksApp>
{
    private const string Secret = "Distinctive-HMAC-Secret-7f3a9c1e-\u00df\u00e6\u00f8";
    private const string RotatedSecret = "Rotated-HMAC-Secret-0b5d2e84-\u00e5\u00e9";
    private const string DisplayMarker = "Display-Marker-41c7e0aa";

    /// <summary>Every file of the data directory (the database, its -wal and -shm, keys), read while the server runs.</summary>
    private async Task<Dictionary<string, byte[]>> DataFilesAsync()
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(app.DataDirectory, "*", SearchOption.AllDirectories))
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            files[Path.GetRelativePath(app.DataDirectory, path)] = copy.ToArray();
        }

        return files;
    }

    private static IEnumerable<byte[]> Encodings(string value) =>
    [
        Encoding.UTF8.GetBytes(value),
        Encoding.Unicode.GetBytes(value),
        Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(value))),
    ];

    private static string? FileContaining(Dictionary<string, byte[]> files, string value) =>
        files.FirstOrDefault(f => Encodings(value).Any(e => f.Value.AsSpan().IndexOf(e) >= 0)).Key;

    [Fact]
    public async Task WebhookSecretsAndAccessTokensAreNowhereInTheDataDirectoryOrTheLog()
    {
        var org = await app.CreateOrganizationAsync();
        using var admin = app.Admin();
        var stack = await app.NewScopeAsync(HookScope.Stack, org);
        var orgScope = await app.NewScopeAsync(HookScope.Organization, org);

        var created = await admin.CreateHookAsync(stack, new { name = "signed", displayName = DisplayMarker, secret = Secret });
        Assert.Equal(TestJson.Sha256Hex(Secret), created.Str("secretCiphertext"));
        await admin.CreateHookAsync(orgScope, new { name = "signed-too", secret = Secret });

        var rotated = await (await admin.PatchAsync(stack.HookPath("signed"), TestJson.Of(new System.Text.Json.Nodes.JsonObject { ["secret"] = RotatedSecret })))
            .AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(TestJson.Sha256Hex(RotatedSecret), rotated.Str("secretCiphertext"));
        Assert.True((await (await admin.GetAsync(orgScope.HookPath("signed-too"))).AssertJsonAsync(HttpStatusCode.OK)).Bool("hasSecret"));

        using var user = await app.CreateUserAsync(org, "member");
        var token = (await (await user.PostAsJsonAsync("/api/user/tokens", new { description = "at-rest" })).AssertJsonAsync(HttpStatusCode.Created)).Str("tokenValue");
        using var withToken = app.WithToken(token);
        await (await withToken.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);

        var files = await DataFilesAsync();
        Assert.Contains("stackhooks.db", files.Keys);

        // The scan sees what was stored: the display name and the token hashes are in the files.
        Assert.NotNull(FileContaining(files, DisplayMarker));
        Assert.NotNull(FileContaining(files, TestJson.Sha256Hex(token)));
        Assert.NotNull(FileContaining(files, TestJson.Sha256Hex(StackHooksApp.AdminToken)));

        foreach (var plain in new[] { Secret, RotatedSecret, token, StackHooksApp.AdminToken })
        {
            var found = FileContaining(files, plain);
            Assert.True(found is null, $"'{plain}' is stored in plain text in {found}");
            Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(plain, StringComparison.Ordinal));
        }

        Assert.NotEmpty(app.Logs.Lines);
    }

    [Fact]
    public async Task ASecretThatWasRemovedIsNotInTheDataDirectoryEither()
    {
        var scope = await app.NewScopeAsync(HookScope.Environment);
        using var admin = app.Admin();
        await admin.CreateHookAsync(scope, new { name = "temporary", secret = "Short-Lived-Secret-9d1c" });
        var removed = await (await admin.PatchAsync(scope.HookPath("temporary"), TestJson.Of("""{"secret": "__remove-secret"}"""))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.False(removed.Bool("hasSecret"));
        Assert.Equal("", removed.Str("secretCiphertext"));
        Assert.Null(FileContaining(await DataFilesAsync(), "Short-Lived-Secret-9d1c"));
    }
}
