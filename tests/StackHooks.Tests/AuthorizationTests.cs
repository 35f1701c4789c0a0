using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>Authentication (SPEC §1) and who may do what (SPEC §7).</summary>
public sealed class AuthorizationTests(StackHooksApp app) : IClassFixture<StackHooksApp>
{
    /// <summary>An organization with a stack "proj/dev", an environment "proj/staging" and "default/legacy", each with a webhook "h".</summary>
    private async Task<string> PopulatedOrganizationAsync()
    {
        var org = await app.CreateOrganizationAsync();
        using var admin = app.Admin();
        foreach (var kind in new[] { HookScope.Organization, HookScope.Stack, HookScope.Environment, HookScope.LegacyEnvironment })
        {
            await admin.CreateHookAsync(await app.NewScopeAsync(kind, org), new { name = "h" });
        }

        return org;
    }

    private static async Task<string> LoginOfAsync(HttpClient client) =>
        (await (await client.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK)).Str("githubLogin");

    private static HttpRequestMessage Request(string method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null || method is "POST" or "PATCH" or "PUT")
        {
            request.Content = JsonContent.Create(body ?? new { });
        }

        return request;
    }

    /// <summary>Every endpoint that belongs to an organization, with "{org}" to fill in.</summary>
    public static TheoryData<string, string> OrganizationEndpoints => new()
    {
        { "GET", "/api/orgs/{org}/hooks" },
        { "POST", "/api/orgs/{org}/hooks" },
        { "GET", "/api/orgs/{org}/hooks/h" },
        { "PATCH", "/api/orgs/{org}/hooks/h" },
        { "DELETE", "/api/orgs/{org}/hooks/h" },
        { "POST", "/api/orgs/{org}/hooks/h/ping" },
        { "GET", "/api/orgs/{org}/hooks/h/deliveries" },
        { "GET", "/api/orgs/{org}/hooks/h/deliveries/d1" },
        { "POST", "/api/orgs/{org}/hooks/h/deliveries/d1/redeliver" },
        { "GET", "/api/stacks/{org}/proj/dev/hooks" },
        { "POST", "/api/stacks/{org}/proj/dev/hooks" },
        { "GET", "/api/stacks/{org}/proj/dev/hooks/h" },
        { "PATCH", "/api/stacks/{org}/proj/dev/hooks/h" },
        { "DELETE", "/api/stacks/{org}/proj/dev/hooks/h" },
        { "POST", "/api/stacks/{org}/proj/dev/hooks/h/ping" },
        { "GET", "/api/stacks/{org}/proj/dev/hooks/h/deliveries" },
        { "DELETE", "/api/{org}/proj/dev/hooks/h" },
        { "GET", "/api/esc/environments/{org}/proj/staging/hooks" },
        { "POST", "/api/esc/environments/{org}/proj/staging/hooks" },
        { "GET", "/api/esc/environments/{org}/proj/staging/hooks/h" },
        { "PATCH", "/api/esc/environments/{org}/proj/staging/hooks/h" },
        { "DELETE", "/api/esc/environments/{org}/proj/staging/hooks/h" },
        { "GET", "/api/esc/environments/{org}/proj/staging/hooks/h/deliveries" },
        { "GET", "/api/preview/environments/{org}/legacy/hooks" },
        { "GET", "/api/preview/environments/{org}/legacy/hooks/h" },
        { "POST", "/api/stacks/{org}/proj" },
        { "GET", "/api/stacks/{org}/proj/dev" },
        { "DELETE", "/api/stacks/{org}/proj/dev" },
        { "GET", "/api/esc/environments/{org}" },
        { "POST", "/api/esc/environments/{org}" },
        { "GET", "/api/esc/environments/{org}/proj/staging" },
        { "DELETE", "/api/esc/environments/{org}/proj/staging" },
        { "GET", "/api/orgs/{org}/members" },
        { "PUT", "/api/orgs/{org}/members/admin" },
        { "DELETE", "/api/orgs/{org}/members/admin" },
    };

    [Theory]
    [MemberData(nameof(OrganizationEndpoints))]
    public async Task ARequestWithoutATokenAnswers401(string method, string path)
    {
        var org = await app.CreateOrganizationAsync();
        using var anonymous = app.Anonymous();
        await (await anonymous.SendAsync(Request(method, path.Replace("{org}", org, StringComparison.Ordinal)))).AssertErrorAsync(HttpStatusCode.Unauthorized);
    }

    public static TheoryData<string, string> AccountEndpoints => new()
    {
        { "GET", "/api/user" },
        { "GET", "/api/user/organizations/default" },
        { "GET", "/api/capabilities" },
        { "GET", "/api/user/tokens" },
        { "POST", "/api/user/tokens" },
        { "DELETE", "/api/user/tokens/abc" },
        { "GET", "/api/user/stacks" },
        { "POST", "/api/orgs" },
        { "POST", "/api/users" },
        { "POST", "/api/users/admin/tokens" },
    };

    [Theory]
    [MemberData(nameof(AccountEndpoints))]
    public async Task AccountEndpointsWithoutATokenAnswer401(string method, string path)
    {
        using var anonymous = app.Anonymous();
        await (await anonymous.SendAsync(Request(method, path))).AssertErrorAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("pul-ffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("pul-0000000000000000000000000000000000tesT")]
    [InlineData("x")]
    public async Task AnUnknownTokenAnswers401(string token)
    {
        var org = await PopulatedOrganizationAsync();
        using var client = app.WithToken(token);
        await (await client.GetAsync("/api/user")).AssertErrorAsync(HttpStatusCode.Unauthorized);
        await (await client.GetAsync($"/api/orgs/{org}/hooks")).AssertErrorAsync(HttpStatusCode.Unauthorized);
        await (await client.PostAsync($"/api/orgs/{org}/hooks", TestJson.Of("{}"))).AssertErrorAsync(HttpStatusCode.Unauthorized);
        await (await client.DeleteAsync($"/api/stacks/{org}/proj/dev")).AssertErrorAsync(HttpStatusCode.Unauthorized);
        using var admin = app.Admin();
        await (await admin.GetAsync($"/api/stacks/{org}/proj/dev")).AssertJsonAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("token")]
    [InlineData("token ")]
    [InlineData("tokenpul-0000000000000000000000000000000000test")]
    [InlineData("Basic YWRtaW46cGFzc3dvcmQ=")]
    [InlineData("Bearer")]
    [InlineData("Digest username=\"admin\"")]
    [InlineData("pul-0000000000000000000000000000000000test")]
    [InlineData("token pul-0000000000000000000000000000000000test extra")]
    [InlineData("token '; DROP TABLE access_tokens;--")]
    public async Task AMalformedAuthorizationHeaderAnswers401(string header)
    {
        using var client = app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/user");
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", header));
        await (await client.SendAsync(request)).AssertErrorAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnOverlongTokenAnswers401()
    {
        using var client = app.WithToken("pul-" + new string('a', 5000));
        await (await client.GetAsync("/api/user")).AssertErrorAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task OrganizationWebhooksReadsIncludedAnswer403ToAPlainMember()
    {
        var org = await PopulatedOrganizationAsync();
        using var member = await app.CreateUserAsync(org, "member");
        using var admin = app.Admin();
        var before = await (await admin.GetAsync($"/api/orgs/{org}/hooks")).Content.ReadAsStringAsync();

        var orgEndpoints = OrganizationEndpoints.Select(row => ((string)row.Data.Item1, (string)row.Data.Item2))
            .Where(e => e.Item2.StartsWith("/api/orgs/{org}/hooks", StringComparison.Ordinal));
        foreach (var (method, path) in orgEndpoints)
        {
            var response = await member.SendAsync(Request(method, path.Replace("{org}", org, StringComparison.Ordinal),
                method == "POST" && path.EndsWith("/hooks", StringComparison.Ordinal) ? new { organizationName = org, displayName = "m", payloadUrl = "https://example.com", active = true } : null));
            await response.AssertErrorAsync(HttpStatusCode.Forbidden);
        }

        Assert.Equal(before, await (await admin.GetAsync($"/api/orgs/{org}/hooks")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnOrganizationAdminWhoIsNotASiteAdminManagesOrganizationWebhooks()
    {
        var org = await PopulatedOrganizationAsync();
        using var orgAdmin = await app.CreateUserAsync(org, "admin");
        var scope = new HookScope(HookScope.Organization, org, "", "", $"/api/orgs/{org}/hooks");

        Assert.Single(await (await orgAdmin.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
        await orgAdmin.CreateHookAsync(scope, new { name = "by-org-admin" });
        await (await orgAdmin.GetAsync(scope.HookPath("h"))).AssertJsonAsync(HttpStatusCode.OK);
        await (await orgAdmin.PatchAsync(scope.HookPath("h"), TestJson.Of("""{"active": false}"""))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await orgAdmin.DeleteAsync(scope.HookPath("by-org-admin"))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(OrganizationEndpoints))]
    public async Task ANonMemberGets404ForEverythingOfTheOrganization(string method, string path)
    {
        var org = await PopulatedOrganizationAsync();
        using var outsider = await app.CreateUserAsync(await app.CreateOrganizationAsync(), "admin");
        var message = await (await outsider.SendAsync(Request(method, path.Replace("{org}", org, StringComparison.Ordinal))))
            .AssertErrorAsync(HttpStatusCode.NotFound);

        // The same answer as for an organization that does not exist: existence does not leak.
        var missing = "missing-" + Guid.NewGuid().ToString("N")[..8];
        var missingMessage = await (await outsider.SendAsync(Request(method, path.Replace("{org}", missing, StringComparison.Ordinal))))
            .AssertErrorAsync(HttpStatusCode.NotFound);
        Assert.Equal(missingMessage.Replace(missing, "ORG", StringComparison.Ordinal), message.Replace(org, "ORG", StringComparison.Ordinal));

        // And nothing changed.
        using var admin = app.Admin();
        await (await admin.GetAsync($"/api/orgs/{org}/hooks/h")).AssertJsonAsync(HttpStatusCode.OK);
        await (await admin.GetAsync($"/api/stacks/{org}/proj/dev/hooks/h")).AssertJsonAsync(HttpStatusCode.OK);
        await (await admin.GetAsync($"/api/esc/environments/{org}/proj/staging/hooks/h")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Single((await (await admin.GetAsync($"/api/orgs/{org}/members")).AssertJsonAsync(HttpStatusCode.OK))["members"]!.AsArray());
    }

    [Fact]
    public async Task ANonMemberDoesNotSeeTheOrganizationsStacksInItsStackList()
    {
        var org = await PopulatedOrganizationAsync();
        using var outsider = await app.CreateUserAsync();
        var all = await (await outsider.GetAsync("/api/user/stacks")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Empty(all["stacks"]!.AsArray());
        var filtered = await (await outsider.GetAsync($"/api/user/stacks?organization={org}")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Empty(filtered["stacks"]!.AsArray());
    }

    [Fact]
    public async Task AnyMemberManagesStacksEnvironmentsAndTheirWebhooks()
    {
        var org = await app.CreateOrganizationAsync();
        using var member = await app.CreateUserAsync(org, "member");

        await (await member.PostAsJsonAsync($"/api/stacks/{org}/app", new { stackName = "dev" })).AssertJsonAsync(HttpStatusCode.Created);
        await (await member.GetAsync($"/api/stacks/{org}/app/dev")).AssertJsonAsync(HttpStatusCode.OK);
        await (await member.PostAsJsonAsync($"/api/esc/environments/{org}", new { project = "app", name = "env" })).AssertJsonAsync(HttpStatusCode.Created);
        await (await member.GetAsync($"/api/esc/environments/{org}")).AssertJsonAsync(HttpStatusCode.OK);
        await (await member.GetAsync($"/api/esc/environments/{org}/app/env")).AssertJsonAsync(HttpStatusCode.OK);

        var scopes = new[]
        {
            new HookScope(HookScope.Stack, org, "app", "dev", $"/api/stacks/{org}/app/dev/hooks"),
            new HookScope(HookScope.Environment, org, "app", "env", $"/api/esc/environments/{org}/app/env/hooks"),
        };
        foreach (var scope in scopes)
        {
            await member.CreateHookAsync(scope, new { name = "mine" });
            Assert.Single(await (await member.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
            await (await member.GetAsync(scope.HookPath("mine"))).AssertJsonAsync(HttpStatusCode.OK);
            await (await member.PatchAsync(scope.HookPath("mine"), TestJson.Of("""{"displayName": "Renamed"}"""))).AssertJsonAsync(HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.NoContent, (await member.DeleteAsync(scope.HookPath("mine"))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await member.DeleteAsync($"/api/stacks/{org}/app/dev")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await member.DeleteAsync($"/api/esc/environments/{org}/app/env")).StatusCode);
    }

    [Fact]
    public async Task SiteAdministrationAnswers403ToOrganizationAdminsAndMembers()
    {
        var org = await app.CreateOrganizationAsync();
        using var orgAdmin = await app.CreateUserAsync(org, "admin");
        using var member = await app.CreateUserAsync(org, "member");
        using var loner = await app.CreateUserAsync();
        var memberLogin = await LoginOfAsync(member);

        foreach (var client in new[] { orgAdmin, member, loner })
        {
            var newOrg = "forbidden-" + Guid.NewGuid().ToString("N")[..8];
            await (await client.PostAsJsonAsync("/api/orgs", new { name = newOrg })).AssertErrorAsync(HttpStatusCode.Forbidden);
            await (await client.PostAsJsonAsync("/api/users", new { githubLogin = "u-" + newOrg, name = "x", email = "x@example.com" }))
                .AssertErrorAsync(HttpStatusCode.Forbidden);
            await (await client.PostAsJsonAsync($"/api/users/{memberLogin}/tokens", new { description = "stolen" }))
                .AssertErrorAsync(HttpStatusCode.Forbidden);
            await (await client.PostAsJsonAsync("/api/users/admin/tokens", new { description = "stolen" }))
                .AssertErrorAsync(HttpStatusCode.Forbidden);

            // Nothing was created: the site admin can still create that organization.
            using var siteAdmin = app.Admin();
            await (await siteAdmin.PostAsJsonAsync("/api/orgs", new { name = newOrg })).AssertJsonAsync(HttpStatusCode.Created);
        }
    }

    [Fact]
    public async Task MembershipEndpointsAnswer403ToAPlainMember()
    {
        var org = await app.CreateOrganizationAsync();
        using var member = await app.CreateUserAsync(org, "member");
        var login = await LoginOfAsync(member);

        await (await member.GetAsync($"/api/orgs/{org}/members")).AssertErrorAsync(HttpStatusCode.Forbidden);
        await (await member.PutAsJsonAsync($"/api/orgs/{org}/members/{login}", new { role = "admin" })).AssertErrorAsync(HttpStatusCode.Forbidden);
        await (await member.DeleteAsync($"/api/orgs/{org}/members/admin")).AssertErrorAsync(HttpStatusCode.Forbidden);

        using var admin = app.Admin();
        var members = await (await admin.GetAsync($"/api/orgs/{org}/members")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("member", members["members"]!.AsArray().Single(m => m!["user"]!.Str("githubLogin") == login)!.Str("role"));
    }

    [Fact]
    public async Task AnOrganizationAdminAddsChangesAndRemovesMembers()
    {
        var org = await app.CreateOrganizationAsync();
        using var orgAdmin = await app.CreateUserAsync(org, "admin");
        using var newcomer = await app.CreateUserAsync();
        var login = await LoginOfAsync(newcomer);
        await (await newcomer.GetAsync($"/api/stacks/{org}/proj/dev")).AssertErrorAsync(HttpStatusCode.NotFound);

        var added = await (await orgAdmin.PutAsJsonAsync($"/api/orgs/{org}/members/{login}", new { role = "member" })).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("member", added.Str("role"));
        Assert.Equal(login, added["user"]!.Str("githubLogin"));
        foreach (var key in new[] { "name", "avatarUrl", "email" })
        {
            Assert.NotNull(added["user"]![key]);
        }

        var list = await (await orgAdmin.GetAsync($"/api/orgs/{org}/members")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Contains(list["members"]!.AsArray(), m => m!["user"]!.Str("githubLogin") == login);
        await (await newcomer.GetAsync($"/api/esc/environments/{org}")).AssertJsonAsync(HttpStatusCode.OK);
        await (await newcomer.GetAsync($"/api/orgs/{org}/hooks")).AssertErrorAsync(HttpStatusCode.Forbidden);

        var promoted = await (await orgAdmin.PutAsJsonAsync($"/api/orgs/{org}/members/{login}", new { role = "admin" })).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("admin", promoted.Str("role"));
        await (await newcomer.GetAsync($"/api/orgs/{org}/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK);

        var removed = await orgAdmin.DeleteAsync($"/api/orgs/{org}/members/{login}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Empty(await removed.Content.ReadAsByteArrayAsync());
        await (await newcomer.GetAsync($"/api/esc/environments/{org}")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await orgAdmin.DeleteAsync($"/api/orgs/{org}/members/{login}")).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"role": "owner"}""")]
    [InlineData("""{"role": "Admin"}""")]
    [InlineData("""{"role": ""}""")]
    [InlineData("""{}""")]
    public async Task SettingAMemberWithAnUnknownRoleAnswers400(string body)
    {
        var org = await app.CreateOrganizationAsync();
        using var newcomer = await app.CreateUserAsync();
        var login = await LoginOfAsync(newcomer);
        using var admin = app.Admin();
        var message = await (await admin.PutAsync($"/api/orgs/{org}/members/{login}", TestJson.Of(body))).AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Contains("role", message, StringComparison.Ordinal);
        await (await newcomer.GetAsync($"/api/esc/environments/{org}")).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SettingAnUnknownUserAsMemberAnswers404()
    {
        var org = await app.CreateOrganizationAsync();
        using var admin = app.Admin();
        await (await admin.PutAsJsonAsync($"/api/orgs/{org}/members/nobody-here", new { role = "member" })).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await admin.DeleteAsync($"/api/orgs/{org}/members/nobody-here")).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheLastAdminCannotBeRemovedOrDemoted()
    {
        var org = await app.CreateOrganizationAsync();
        using var admin = app.Admin();

        Assert.Contains("last admin", await (await admin.DeleteAsync($"/api/orgs/{org}/members/admin")).AssertErrorAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.Contains("last admin", await (await admin.PutAsJsonAsync($"/api/orgs/{org}/members/admin", new { role = "member" })).AssertErrorAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);
        await (await admin.GetAsync($"/api/orgs/{org}/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK);

        // With a second admin, the first may step down; then the second is the last one.
        using var second = await app.CreateUserAsync(org, "admin");
        var secondLogin = await LoginOfAsync(second);
        var demoted = await (await second.PutAsJsonAsync($"/api/orgs/{org}/members/admin", new { role = "member" })).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("member", demoted.Str("role"));
        await (await admin.GetAsync($"/api/orgs/{org}/hooks")).AssertErrorAsync(HttpStatusCode.Forbidden);

        await (await second.PutAsJsonAsync($"/api/orgs/{org}/members/{secondLogin}", new { role = "member" })).AssertErrorAsync(HttpStatusCode.BadRequest);
        await (await second.DeleteAsync($"/api/orgs/{org}/members/{secondLogin}")).AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await second.DeleteAsync($"/api/orgs/{org}/members/admin")).StatusCode);
        await (await admin.GetAsync($"/api/orgs/{org}/hooks")).AssertErrorAsync(HttpStatusCode.NotFound);
        var members = await (await second.GetAsync($"/api/orgs/{org}/members")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(secondLogin, Assert.Single(members["members"]!.AsArray())!["user"]!.Str("githubLogin"));
    }
}
