using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>The caller, access tokens, site administration and the first start (SPEC §7, §1).</summary>
public sealed class AccountsTests(StackHooksApp app, GeneratedAdminTokenApp fresh)
    : IClassFixture<StackHooksApp>, IClassFixture<GeneratedAdminTokenApp>
{
    private static string[] Keys(JsonObject json) => json.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task GetUserAnswersTheCallerWithItsOrganizationsAndRoles()
    {
        var adminOf = await app.CreateOrganizationAsync();
        var memberOf = await app.CreateOrganizationAsync();
        using var client = await app.CreateUserAsync(adminOf, "admin");
        var login = (await (await client.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK)).Str("githubLogin");
        using var admin = app.Admin();
        (await admin.PutAsJsonAsync($"/api/orgs/{memberOf}/members/{login}", new { role = "member" })).EnsureSuccessStatusCode();

        var user = await (await client.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
        foreach (var key in new[] { "id", "githubLogin", "name", "email", "avatarUrl" })
        {
            Assert.Equal(System.Text.Json.JsonValueKind.String, user[key]!.GetValueKind());
        }

        Assert.False(string.IsNullOrEmpty(user.Str("id")));
        Assert.Equal(login, user.Str("name"));
        Assert.Equal($"{login}@example.com", user.Str("email"));

        var orgs = user["organizations"]!.AsArray().Select(o => o!.AsObject()).ToList();
        Assert.Equal(2, orgs.Count);
        Assert.All(orgs, o => Assert.Equal(["avatarUrl", "githubLogin", "name", "role"], Keys(o)));
        Assert.Equal("admin", orgs.Single(o => o.Str("name") == adminOf).Str("role"));
        Assert.Equal("member", orgs.Single(o => o.Str("name") == memberOf).Str("role"));
        Assert.Equal(adminOf, orgs.Single(o => o.Str("name") == adminOf).Str("githubLogin"));
    }

    [Fact]
    public async Task AUserWithoutOrganizationsHasAnEmptyOrganizationList()
    {
        using var client = await app.CreateUserAsync();
        var user = await (await client.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Empty(user["organizations"]!.AsArray());
    }

    [Fact]
    public async Task TheDefaultOrganizationAnswersGitHubLoginAndMessages()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = await app.CreateUserAsync(org, "member");
        var body = await (await client.GetAsync("/api/user/organizations/default")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["GitHubLogin", "Messages"], Keys(body));
        Assert.Equal(org, body.Str("GitHubLogin"));
        Assert.Empty(body["Messages"]!.AsArray());
    }

    [Fact]
    public async Task CapabilitiesAnswersAnEmptyList()
    {
        using var client = app.Admin();
        var body = await (await client.GetAsync("/api/capabilities")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["capabilities"], Keys(body));
        Assert.Empty(body["capabilities"]!.AsArray());
    }

    [Theory]
    [InlineData("application/vnd.pulumi+8")]
    [InlineData("application/vnd.pulumi+9")]
    [InlineData("application/vnd.pulumi+42")]
    [InlineData("application/json")]
    [InlineData(null)]
    public async Task AnyPulumiAcceptVersionPlainJsonOrNoAcceptHeaderIsAccepted(string? accept)
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        client.DefaultRequestHeaders.Accept.Clear();
        if (accept is not null)
        {
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        await (await client.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
        var created = await (await client.PostAsync($"/api/orgs/{org}/hooks",
            TestJson.Of($$"""{"active": true, "displayName": "Accept", "organizationName": "{{org}}", "payloadUrl": "https://example.com/webhook"}""")))
            .AssertJsonAsync(HttpStatusCode.Created);
        await (await client.GetAsync($"/api/orgs/{org}/hooks/{created.Str("name")}")).AssertJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ACreatedAccessTokenIsShownOnceWorksAndIsRevokedByDelete()
    {
        using var owner = await app.CreateUserAsync();
        var login = (await (await owner.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK)).Str("githubLogin");

        var response = await owner.PostAsJsonAsync("/api/user/tokens", new { description = "ci pipeline" });
        var created = await response.AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(["id", "tokenValue"], Keys(created));
        var id = created.Str("id");
        var value = created.Str("tokenValue");
        Assert.False(string.IsNullOrWhiteSpace(id));
        Assert.False(string.IsNullOrWhiteSpace(value));

        using var withNewToken = app.WithToken(value);
        Assert.Equal(login, (await (await withNewToken.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK)).Str("githubLogin"));

        var listBody = await (await owner.GetAsync("/api/user/tokens")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(value, listBody, StringComparison.Ordinal);
        Assert.DoesNotContain(value[4..], listBody, StringComparison.Ordinal);
        Assert.DoesNotContain("tokenValue", listBody, StringComparison.Ordinal);
        var listed = JsonNode.Parse(listBody)!["tokens"]!.AsArray().Select(t => t!.AsObject()).ToList();
        var entry = listed.Single(t => t.Str("id") == id);
        Assert.Equal("ci pipeline", entry.Str("description"));

        var deleted = await owner.DeleteAsync($"/api/user/tokens/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsByteArrayAsync());

        await (await withNewToken.GetAsync("/api/user")).AssertErrorAsync(HttpStatusCode.Unauthorized);
        await (await owner.DeleteAsync($"/api/user/tokens/{id}")).AssertErrorAsync(HttpStatusCode.NotFound);
        var after = await (await owner.GetAsync("/api/user/tokens")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(after["tokens"]!.AsArray(), t => t!.Str("id") == id);
    }

    [Fact]
    public async Task AUserCannotSeeOrDeleteAnotherUsersTokens()
    {
        using var alice = await app.CreateUserAsync();
        using var bob = await app.CreateUserAsync();
        var created = await (await alice.PostAsJsonAsync("/api/user/tokens", new { description = "alice's" })).AssertJsonAsync(HttpStatusCode.Created);

        var bobs = await (await bob.GetAsync("/api/user/tokens")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(bobs["tokens"]!.AsArray(), t => t!.Str("id") == created.Str("id"));
        await (await bob.DeleteAsync($"/api/user/tokens/{created.Str("id")}")).AssertErrorAsync(HttpStatusCode.NotFound);

        using var withToken = app.WithToken(created.Str("tokenValue"));
        await (await withToken.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ATokenDescriptionLongerThan200CharactersAnswers400()
    {
        using var client = await app.CreateUserAsync();
        await (await client.PostAsJsonAsync("/api/user/tokens", new { description = new string('d', 201) })).AssertErrorAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ASiteAdminCreatesOrganizationsAndBecomesTheirAdmin()
    {
        using var admin = app.Admin();
        var name = "acme-" + Guid.NewGuid().ToString("N")[..8];
        var created = await (await admin.PostAsJsonAsync("/api/orgs", new { name })).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(name, created.Str("name"));

        var user = await (await admin.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("admin", user["organizations"]!.AsArray().Single(o => o!.Str("name") == name)!.Str("role"));
        await (await admin.GetAsync($"/api/orgs/{name}/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task CreatingAnOrganizationThatExistsAnswers409()
    {
        var org = await app.CreateOrganizationAsync();
        using var admin = app.Admin();
        await (await admin.PostAsJsonAsync("/api/orgs", new { name = org })).AssertErrorAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData(".hidden")]
    [InlineData("has space")]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("x'; DROP TABLE organizations;--")]
    [InlineData("caf\u00e9")]
    public async Task CreatingAnOrganizationWithAnInvalidNameAnswers400(string name)
    {
        using var admin = app.Admin();
        await (await admin.PostAsJsonAsync("/api/orgs", new { name })).AssertErrorAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnOrganizationNameOf101CharactersAnswers400And100IsAccepted()
    {
        using var admin = app.Admin();
        await (await admin.PostAsJsonAsync("/api/orgs", new { name = new string('o', 101) })).AssertErrorAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/orgs", new { name = "x" + Guid.NewGuid().ToString("N") + new string('o', 67) })).AssertJsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task ASiteAdminCreatesUsersAndTokensForThem()
    {
        using var admin = app.Admin();
        var login = "dev-" + Guid.NewGuid().ToString("N")[..8];
        var user = await (await admin.PostAsJsonAsync("/api/users", new { githubLogin = login, name = "Dev Eloper", email = "dev@example.com" }))
            .AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(login, user.Str("githubLogin"));
        Assert.Equal("Dev Eloper", user.Str("name"));
        Assert.Equal("dev@example.com", user.Str("email"));

        await (await admin.PostAsJsonAsync("/api/users", new { githubLogin = login, name = "Again", email = "" })).AssertErrorAsync(HttpStatusCode.Conflict);
        await (await admin.PostAsJsonAsync("/api/users", new { githubLogin = "", name = "No login" })).AssertErrorAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/users", new { githubLogin = "bad login" })).AssertErrorAsync(HttpStatusCode.BadRequest);

        var token = await (await admin.PostAsJsonAsync($"/api/users/{login}/tokens", new { description = "for dev" })).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal(["id", "tokenValue"], Keys(token));
        using var dev = app.WithToken(token.Str("tokenValue"));
        var me = await (await dev.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(login, me.Str("githubLogin"));

        await (await admin.PostAsJsonAsync("/api/users/nobody-at-all/tokens", new { description = "x" })).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WithoutAnAdminTokenSettingTheFirstStartGeneratesOneWritesItToAnOwnerOnlyFileAndLogsItOnce()
    {
        using var configured = fresh.WithToken(StackHooksApp.AdminToken);
        await (await configured.GetAsync("/api/user")).AssertErrorAsync(HttpStatusCode.Unauthorized);

        var path = Path.Combine(fresh.DataDirectory, "admin-token");
        Assert.True(File.Exists(path), $"{path} was not written");
        var token = (await File.ReadAllTextAsync(path)).Trim();
        Assert.Matches("^pul-[0-9a-f]{40}$", token);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        using var admin = fresh.WithToken(token);
        var user = await (await admin.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("admin", user.Str("githubLogin"));
        await (await admin.PostAsJsonAsync("/api/orgs", new { name = "bootstrapped" })).AssertJsonAsync(HttpStatusCode.Created);

        Assert.Single(fresh.Logs.Lines, line => line.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithAnAdminTokenSettingNoTokenFileIsWritten()
    {
        using var admin = app.Admin();
        await (await admin.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.False(File.Exists(Path.Combine(app.DataDirectory, "admin-token")));
    }
}
