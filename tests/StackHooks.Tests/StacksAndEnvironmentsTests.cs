using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>The stack and environment registries that webhooks attach to (SPEC §4.1, §2).</summary>
public sealed class StacksAndEnvironmentsTests(StackHooksApp app) : IClassFixture<StackHooksApp>
{
    private static string[] Keys(JsonObject json) => json.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task CreatingAStackAnswers201AndGetAnswersTheStackShape()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        var created = await (await client.PostAsJsonAsync($"/api/stacks/{org}/website", new { stackName = "dev" })).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal("dev", created.Str("stackName"));

        var stack = await (await client.GetAsync($"/api/stacks/{org}/website/dev")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["orgName", "projectName", "stackName", "tags", "version"], Keys(stack));
        Assert.Equal(org, stack.Str("orgName"));
        Assert.Equal("website", stack.Str("projectName"));
        Assert.Equal("dev", stack.Str("stackName"));
        Assert.Empty(stack["tags"]!.AsObject());
        Assert.Equal(0, stack["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreatingAStackThatExistsAnswers409()
    {
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "website", "dev");
        using var client = app.Admin();
        await (await client.PostAsJsonAsync($"/api/stacks/{org}/website", new { stackName = "dev" })).AssertErrorAsync(HttpStatusCode.Conflict);

        // The same names elsewhere are different stacks.
        await (await client.PostAsJsonAsync($"/api/stacks/{org}/website", new { stackName = "prod" })).AssertJsonAsync(HttpStatusCode.Created);
        await (await client.PostAsJsonAsync($"/api/stacks/{org}/other", new { stackName = "dev" })).AssertJsonAsync(HttpStatusCode.Created);
        var otherOrg = await app.CreateOrganizationAsync();
        await (await client.PostAsJsonAsync($"/api/stacks/{otherOrg}/website", new { stackName = "dev" })).AssertJsonAsync(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("website", """{}""")]
    [InlineData("website", """{"stackName": ""}""")]
    [InlineData("website", """{"stackName": "has space"}""")]
    [InlineData("website", """{"stackName": "-dash-first"}""")]
    [InlineData("website", """{"stackName": "a/b"}""")]
    [InlineData("website", """{"stackName": "x'; DROP TABLE stacks;--"}""")]
    [InlineData("website", """{"stackName": "Ωmega"}""")]
    [InlineData("-dash-first", """{"stackName": "dev"}""")]
    [InlineData("semi;colon", """{"stackName": "dev"}""")]
    public async Task CreatingAStackWithAnInvalidNameAnswers400(string project, string body)
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        await (await client.PostAsync($"/api/stacks/{org}/{Uri.EscapeDataString(project)}", TestJson.Of(body))).AssertErrorAsync(HttpStatusCode.BadRequest);
        var list = await (await client.GetAsync($"/api/user/stacks?organization={org}")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Empty(list["stacks"]!.AsArray());
    }

    [Fact]
    public async Task AStackNameOf100CharactersIsAcceptedAnd101Answers400()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        await (await client.PostAsJsonAsync($"/api/stacks/{org}/p", new { stackName = new string('s', 100) })).AssertJsonAsync(HttpStatusCode.Created);
        await (await client.GetAsync($"/api/stacks/{org}/p/{new string('s', 100)}")).AssertJsonAsync(HttpStatusCode.OK);
        await (await client.PostAsJsonAsync($"/api/stacks/{org}/p", new { stackName = new string('s', 101) })).AssertErrorAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnUnknownStackAnswers404()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        await (await client.GetAsync($"/api/stacks/{org}/website/nope")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/api/stacks/{org}/website/nope")).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletingAStackAnswers204AndDeletesItsWebhooksButNoOthers()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        var stack = await app.NewScopeAsync(HookScope.Stack, org);
        await app.CreateStackAsync(org, "proj", "other");
        var sibling = new HookScope(HookScope.Stack, org, "proj", "other", $"/api/stacks/{org}/proj/other/hooks");
        var orgScope = await app.NewScopeAsync(HookScope.Organization, org);
        await client.CreateHookAsync(stack, new { name = "first" });
        await client.CreateHookAsync(stack, new { name = "second", secret = "s" });
        await client.CreateHookAsync(sibling, new { name = "first" });
        await client.CreateHookAsync(orgScope, new { name = "first" });

        var deleted = await client.DeleteAsync($"/api/stacks/{org}/proj/dev");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsByteArrayAsync());

        await (await client.GetAsync($"/api/stacks/{org}/proj/dev")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/api/stacks/{org}/proj/dev")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync(stack.BasePath)).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync(stack.HookPath("first"))).AssertErrorAsync(HttpStatusCode.NotFound);

        await app.CreateStackAsync(org, "proj", "dev");
        Assert.Empty(await (await client.GetAsync(stack.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
        await (await client.GetAsync(stack.HookPath("second"))).AssertErrorAsync(HttpStatusCode.NotFound);
        await client.CreateHookAsync(stack, new { name = "first" });

        Assert.Single(await (await client.GetAsync(sibling.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
        Assert.Single(await (await client.GetAsync(orgScope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task TheStackListShowsTheCallersStacksAndNarrowsToOneOrganization()
    {
        var first = await app.CreateOrganizationAsync();
        var second = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(first, "a", "dev");
        await app.CreateStackAsync(first, "b", "prod");
        await app.CreateStackAsync(second, "a", "dev");
        using var member = await app.CreateUserAsync(first, "member");

        var mine = await (await member.GetAsync("/api/user/stacks")).AssertJsonAsync(HttpStatusCode.OK);
        var stacks = mine["stacks"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(2, stacks.Count);
        Assert.All(stacks, s => Assert.Equal(first, s.Str("orgName")));
        Assert.Equal(["a/dev", "b/prod"], stacks.Select(s => $"{s.Str("projectName")}/{s.Str("stackName")}").Order(StringComparer.Ordinal));

        using var admin = app.Admin();
        var narrowed = await (await admin.GetAsync($"/api/user/stacks?organization={second}")).AssertJsonAsync(HttpStatusCode.OK);
        var only = Assert.Single(narrowed["stacks"]!.AsArray())!;
        Assert.Equal(second, only.Str("orgName"));
        Assert.Equal("dev", only.Str("stackName"));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/stacks/{second}/a/dev")).StatusCode);
        Assert.Empty((await (await admin.GetAsync($"/api/user/stacks?organization={second}")).AssertJsonAsync(HttpStatusCode.OK))["stacks"]!.AsArray());
    }

    [Fact]
    public async Task CreatingAnEnvironmentAnswers201AndItCanBeReadAndListed()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        var created = await (await client.PostAsJsonAsync($"/api/esc/environments/{org}", new { project = "infra", name = "staging" }))
            .AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal("infra", created.Str("project"));
        Assert.Equal("staging", created.Str("name"));
        Assert.Equal(org, created.Str("organization"));

        var got = await (await client.GetAsync($"/api/esc/environments/{org}/infra/staging")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("staging", got.Str("name"));
        Assert.Equal("infra", got.Str("project"));

        await (await client.PostAsJsonAsync($"/api/esc/environments/{org}", new { project = "infra", name = "prod" })).AssertJsonAsync(HttpStatusCode.Created);
        var list = await (await client.GetAsync($"/api/esc/environments/{org}")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["infra/prod", "infra/staging"],
            list["environments"]!.AsArray().Select(e => $"{e!.Str("project")}/{e!.Str("name")}").Order(StringComparer.Ordinal));

        var otherOrg = await app.CreateOrganizationAsync();
        Assert.Empty((await (await client.GetAsync($"/api/esc/environments/{otherOrg}")).AssertJsonAsync(HttpStatusCode.OK))["environments"]!.AsArray());
    }

    [Fact]
    public async Task AnEnvironmentWithoutAProjectGoesToTheDefaultProject()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        var created = await (await client.PostAsJsonAsync($"/api/esc/environments/{org}", new { name = "shared" })).AssertJsonAsync(HttpStatusCode.Created);
        Assert.Equal("default", created.Str("project"));
        await (await client.GetAsync($"/api/esc/environments/{org}/default/shared")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Empty(await (await client.GetAsync($"/api/preview/environments/{org}/shared/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task CreatingAnEnvironmentThatExistsAnswers409()
    {
        var org = await app.CreateOrganizationAsync();
        await app.CreateEnvironmentAsync(org, "infra", "staging");
        using var client = app.Admin();
        await (await client.PostAsJsonAsync($"/api/esc/environments/{org}", new { project = "infra", name = "staging" })).AssertErrorAsync(HttpStatusCode.Conflict);
        await (await client.PostAsJsonAsync($"/api/esc/environments/{org}", new { project = "other", name = "staging" })).AssertJsonAsync(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"project": "infra"}""")]
    [InlineData("""{"project": "infra", "name": ""}""")]
    [InlineData("""{"project": "infra", "name": "has space"}""")]
    [InlineData("""{"project": "infra", "name": "../etc"}""")]
    [InlineData("""{"project": "bad project", "name": "ok"}""")]
    [InlineData("""{"project": "-p", "name": "ok"}""")]
    [InlineData("""{"project": "infra", "name": "x'; DROP TABLE environments;--"}""")]
    public async Task CreatingAnEnvironmentWithAnInvalidNameAnswers400(string body)
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        await (await client.PostAsync($"/api/esc/environments/{org}", TestJson.Of(body))).AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Empty((await (await client.GetAsync($"/api/esc/environments/{org}")).AssertJsonAsync(HttpStatusCode.OK))["environments"]!.AsArray());
    }

    [Fact]
    public async Task AnUnknownEnvironmentAnswers404()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        await (await client.GetAsync($"/api/esc/environments/{org}/infra/nope")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/api/esc/environments/{org}/infra/nope")).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(HookScope.Environment)]
    [InlineData(HookScope.LegacyEnvironment)]
    public async Task DeletingAnEnvironmentAnswers204AndDeletesItsWebhooks(string kind)
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        var env = await app.NewScopeAsync(kind, org);
        await client.CreateHookAsync(env, new { name = "first" });
        await client.CreateHookAsync(env, new { name = "second" });
        var orgScope = await app.NewScopeAsync(HookScope.Organization, org);
        await client.CreateHookAsync(orgScope, new { name = "first" });

        var deleted = await client.DeleteAsync($"/api/esc/environments/{org}/{env.Project}/{env.Target}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsByteArrayAsync());
        await (await client.GetAsync($"/api/esc/environments/{org}/{env.Project}/{env.Target}")).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync(env.BasePath)).AssertErrorAsync(HttpStatusCode.NotFound);

        await app.CreateEnvironmentAsync(org, env.Project, env.Target);
        Assert.Empty(await (await client.GetAsync(env.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
        await (await client.GetAsync(env.HookPath("first"))).AssertErrorAsync(HttpStatusCode.NotFound);
        Assert.Single(await (await client.GetAsync(orgScope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task TheLegacyAndTheCurrentEnvironmentPathsShowTheSameWebhooks()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        var legacy = await app.NewScopeAsync(HookScope.LegacyEnvironment, org);
        var created = await client.CreateHookAsync(legacy, new { name = "via-legacy" });
        Assert.Equal("default", created.Str("projectName"));

        var current = $"/api/esc/environments/{org}/default/{legacy.Target}/hooks";
        var listed = Assert.Single(await (await client.GetAsync(current)).AssertJsonArrayAsync(HttpStatusCode.OK))!;
        Assert.True(JsonNode.DeepEquals(created, listed));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{current}/via-legacy")).StatusCode);
        Assert.Empty(await (await client.GetAsync(legacy.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }
}
