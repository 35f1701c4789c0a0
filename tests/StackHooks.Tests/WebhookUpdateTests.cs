using System.Net;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>PATCH semantics of SPEC §3, get/delete of unknown webhooks, and paging of the list (SPEC §2).</summary>
public sealed class WebhookUpdateTests(StackHooksApp app) : IClassFixture<StackHooksApp>
{
    private const string Secret = "update-tests-secret";

    /// <summary>A webhook with every field set to something other than its default.</summary>
    private async Task<(HookScope Scope, HttpClient Client, JsonObject Hook)> RichHookAsync(string kind)
    {
        var scope = await app.NewScopeAsync(kind);
        var client = app.Admin();
        var hook = await client.CreateHookAsync(scope, new
        {
            name = "rich",
            displayName = "Rich webhook",
            payloadUrl = "https://example.com/teams",
            format = "ms_teams",
            filters = new[] { scope.IsEnvironment ? "environment_tag_created" : "update_failed" },
            groups = new[] { scope.IsEnvironment ? "environments" : "policies" },
            secret = Secret,
        });
        return (scope, client, hook);
    }

    private static async Task<JsonObject> PatchAsync(HttpClient client, HookScope scope, string body, HttpStatusCode expected = HttpStatusCode.OK) =>
        await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of(body))).AssertJsonAsync(expected);

    private static async Task<JsonObject> GetAsync(HttpClient client, HookScope scope, string name = "rich") =>
        await (await client.GetAsync(scope.HookPath(name))).AssertJsonAsync(HttpStatusCode.OK);

    private static void AssertSameExcept(JsonObject before, JsonObject after, params string[] changed)
    {
        foreach (var (key, value) in before)
        {
            if (!changed.Contains(key))
            {
                Assert.True(JsonNode.DeepEquals(value, after[key]), $"'{key}' changed from {value?.ToJsonString()} to {after[key]?.ToJsonString()}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task TheSeedsPatchChangesOnlyActiveAndDisplayName(string kind)
    {
        var (scope, client, before) = await RichHookAsync(kind);
        var after = await PatchAsync(client, scope, """{"active": false, "displayName": "Updated Webhook Name"}""");

        Assert.False(after.Bool("active"));
        Assert.Equal("Updated Webhook Name", after.Str("displayName"));
        AssertSameExcept(before, after, "active", "displayName");
        Assert.True(JsonNode.DeepEquals(after, await GetAsync(client, scope)));
        Assert.True(after.Bool("hasSecret"));
        Assert.Equal(TestJson.Sha256Hex(Secret), after.Str("secretCiphertext"));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task AnEmptyPatchKeepsEveryField(string kind)
    {
        var (scope, client, before) = await RichHookAsync(kind);
        var after = await PatchAsync(client, scope, "{}");
        Assert.True(JsonNode.DeepEquals(before, after), $"{before} became {after}");
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task SendingTheWholeWebhookObjectBackKeepsTheSecret(string kind)
    {
        // What the console and CLI do: GET, edit, PATCH everything back (hasSecret and secretCiphertext included, no secret).
        var (scope, client, before) = await RichHookAsync(kind);
        var edited = before.DeepClone().AsObject();
        edited["payloadUrl"] = "https://example.com/teams-2";
        var after = await PatchAsync(client, scope, edited.ToJsonString());

        Assert.Equal("https://example.com/teams-2", after.Str("payloadUrl"));
        AssertSameExcept(before, after, "payloadUrl");
    }

    [Theory]
    [InlineData("""{"displayName": "Kept secret"}""")]
    [InlineData("""{"displayName": "Kept secret", "secret": ""}""")]
    [InlineData("""{"displayName": "Kept secret", "secret": null}""")]
    public async Task AMissingOrEmptySecretKeepsTheStoredOne(string body)
    {
        var (scope, client, _) = await RichHookAsync(HookScope.Stack);
        var after = await PatchAsync(client, scope, body);
        Assert.True(after.Bool("hasSecret"));
        Assert.Equal(TestJson.Sha256Hex(Secret), after.Str("secretCiphertext"));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task RemoveSecretSentinelDeletesTheSecret(string kind)
    {
        var (scope, client, before) = await RichHookAsync(kind);
        var after = await PatchAsync(client, scope, """{"secret": "__remove-secret"}""");
        Assert.False(after.Bool("hasSecret"));
        Assert.Equal("", after.Str("secretCiphertext"));
        AssertSameExcept(before, after, "hasSecret", "secretCiphertext");
        Assert.False((await GetAsync(client, scope)).Bool("hasSecret"));
    }

    [Fact]
    public async Task ANewSecretReplacesTheStoredOneAndIsNotReturned()
    {
        var (scope, client, _) = await RichHookAsync(HookScope.Organization);
        var response = await client.PatchAsync(scope.HookPath("rich"), TestJson.Of("""{"secret": "rotated-secret-value"}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("rotated-secret-value", body, StringComparison.Ordinal);
        Assert.Equal(TestJson.Sha256Hex("rotated-secret-value"), JsonNode.Parse(body)!.Str("secretCiphertext"));

        var tooLong = await client.PatchAsync(scope.HookPath("rich"), TestJson.Of(new JsonObject { ["secret"] = new string('x', 1025) }));
        await tooLong.AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Equal(TestJson.Sha256Hex("rotated-secret-value"), (await GetAsync(client, scope)).Str("secretCiphertext"));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task AMissingFormatKeepsTheStoredFormat(string kind)
    {
        var (scope, client, _) = await RichHookAsync(kind);
        var after = await PatchAsync(client, scope, """{"payloadUrl": "https://example.com/other", "format": ""}""");
        Assert.Equal("ms_teams", after.Str("format"));
        Assert.Equal("https://example.com/other", after.Str("payloadUrl"));
        Assert.Equal("ms_teams", (await PatchAsync(client, scope, """{"active": false}""")).Str("format"));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task FiltersAndGroupsSentAsEmptyArraysAreCleared(string kind)
    {
        var (scope, client, before) = await RichHookAsync(kind);
        var after = await PatchAsync(client, scope, """{"filters": [], "groups": []}""");
        Assert.Empty(after.Strings("filters"));
        Assert.Empty(after.Strings("groups"));
        AssertSameExcept(before, after, "filters", "groups");
    }

    [Theory]
    [MemberData(nameof(HookScopes.StackAndEnvironment), MemberType = typeof(HookScopes))]
    public async Task ChangingTheFormatToPulumiDeploymentsRevalidatesThePayloadUrl(string kind)
    {
        var (scope, client, before) = await RichHookAsync(kind);
        await app.CreateStackAsync(scope.Org, "infra", "prod");

        var message = await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of("""{"format": "pulumi_deployments"}""")))
            .AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Contains("payloadUrl", message, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(before, await GetAsync(client, scope)));

        await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of("""{"format": "pulumi_deployments", "payloadUrl": "infra/missing"}""")))
            .AssertErrorAsync(HttpStatusCode.BadRequest);

        var deploying = await PatchAsync(client, scope, """{"format": "pulumi_deployments", "payloadUrl": "infra/prod"}""");
        Assert.Equal("pulumi_deployments", deploying.Str("format"));
        Assert.Equal("infra/prod", deploying.Str("payloadUrl"));

        // And back: "infra/prod" is not an http(s) URL.
        await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of("""{"format": "raw"}""")))
            .AssertErrorAsync(HttpStatusCode.BadRequest);
        var raw = await PatchAsync(client, scope, """{"format": "raw", "payloadUrl": "https://example.com/back"}""");
        Assert.Equal("raw", raw.Str("format"));
    }

    [Fact]
    public async Task ChangingAnOrganizationWebhookToPulumiDeploymentsAnswers400()
    {
        var (scope, client, before) = await RichHookAsync(HookScope.Organization);
        await app.CreateStackAsync(scope.Org, "infra", "prod");
        var message = await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of("""{"format": "pulumi_deployments", "payloadUrl": "infra/prod"}""")))
            .AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Equal("'pulumi_deployments' format can only be used on stack or environment webhooks", message);
        Assert.True(JsonNode.DeepEquals(before, await GetAsync(client, scope)));
    }

    [Fact]
    public async Task ChangingTheFormatToSlackRevalidatesTheStoredPayloadUrl()
    {
        var (scope, client, _) = await RichHookAsync(HookScope.Stack);
        await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of("""{"format": "slack"}"""))).AssertErrorAsync(HttpStatusCode.BadRequest);
        var slack = await PatchAsync(client, scope, """{"format": "slack", "payloadUrl": "https://hooks.slack.com/services/T/B/X"}""");
        Assert.Equal("slack", slack.Str("format"));
    }

    public static TheoryData<string, string> InvalidPatches => new()
    {
        { "blank displayName", """{"displayName": "  "}""" },
        { "displayName over 200", $$"""{"displayName": "{{new string('d', 201)}}"}""" },
        { "unknown format", """{"format": "xml"}""" },
        { "payloadUrl not a URL", """{"payloadUrl": "not a url"}""" },
        { "empty payloadUrl", """{"payloadUrl": ""}""" },
        { "unknown filter", """{"filters": ["no_such_event"]}""" },
        { "filter of another scope", """{"filters": ["stack_created"]}""" },
        { "unknown group", """{"groups": ["everything"]}""" },
        { "other organizationName", """{"organizationName": "someone-else"}""" },
        { "other name", """{"name": "renamed"}""" },
    };

    [Theory]
    [MemberData(nameof(InvalidPatches))]
    public async Task AnInvalidPatchAnswers400AndChangesNothing(string description, string body)
    {
        var (scope, client, before) = await RichHookAsync(HookScope.Stack);
        var message = await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of(body))).AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrWhiteSpace(message), description);
        Assert.True(JsonNode.DeepEquals(before, await GetAsync(client, scope)), description);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task ABodyNameDifferentFromThePathAnswers400AndTheSameNameIsFine(string kind)
    {
        var (scope, client, _) = await RichHookAsync(kind);
        var message = await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of("""{"name": "poor", "displayName": "x"}""")))
            .AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Contains("name", message, StringComparison.Ordinal);
        await (await client.GetAsync(scope.HookPath("poor"))).AssertErrorAsync(HttpStatusCode.NotFound);

        var same = await PatchAsync(client, scope, """{"name": "rich", "displayName": "Same name"}""");
        Assert.Equal("rich", same.Str("name"));
        Assert.Equal("Same name", same.Str("displayName"));
    }

    [Theory]
    [MemberData(nameof(HookScopes.StackAndEnvironment), MemberType = typeof(HookScopes))]
    public async Task APatchNamingAnotherStackOrEnvironmentAnswers400(string kind)
    {
        var (scope, client, before) = await RichHookAsync(kind);
        var field = scope.Kind == HookScope.Stack ? "stackName" : "envName";
        await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of(new JsonObject { [field] = "elsewhere" }))).AssertErrorAsync(HttpStatusCode.BadRequest);
        await (await client.PatchAsync(scope.HookPath("rich"), TestJson.Of(new JsonObject { ["projectName"] = "elsewhere" }))).AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.True(JsonNode.DeepEquals(before, await GetAsync(client, scope)));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task AnUnknownWebhookAnswers404ToGetPatchAndDelete(string kind)
    {
        var scope = await app.NewScopeAsync(kind);
        using var client = app.Admin();
        await (await client.GetAsync(scope.HookPath("nope"))).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.PatchAsync(scope.HookPath("nope"), TestJson.Of("""{"displayName": "x"}"""))).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync(scope.HookPath("nope"))).AssertErrorAsync(HttpStatusCode.NotFound);
        Assert.Empty(await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task DeletingAWebhookAnswers204WithAnEmptyBodyAndItIsGone(string kind)
    {
        var (scope, client, _) = await RichHookAsync(kind);
        var deleted = await client.DeleteAsync(scope.HookPath("rich"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsByteArrayAsync());

        await (await client.GetAsync(scope.HookPath("rich"))).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync(scope.HookPath("rich"))).AssertErrorAsync(HttpStatusCode.NotFound);
        Assert.Empty(await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));

        // The name is free again.
        await client.CreateHookAsync(scope, new { name = "rich" });
    }

    private static async Task<(List<string> Names, string? Next)> PageAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var page = await response.AssertJsonArrayAsync(HttpStatusCode.OK);
        var next = response.Headers.TryGetValues("X-Continuation-Token", out var values) ? values.Single() : null;
        return (page.Select(h => h!.Str("name")).ToList(), next);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task ListingWithALimitPagesThroughEveryWebhookWithContinuationTokens(string kind)
    {
        var scope = await app.NewScopeAsync(kind);
        using var client = app.Admin();
        string[] names = ["e-hook", "a-hook", "c-hook", "b-hook", "d-hook"];
        foreach (var name in names)
        {
            await client.CreateHookAsync(scope, new { name });
        }

        var (all, noToken) = await PageAsync(client, scope.BasePath);
        Assert.Equal(names.Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
        Assert.Null(noToken);

        var seen = new List<string>();
        var (first, token) = await PageAsync(client, $"{scope.BasePath}?limit=2");
        Assert.Equal(2, first.Count);
        seen.AddRange(first);
        var pages = 1;
        while (token is not null)
        {
            (var page, token) = await PageAsync(client, $"{scope.BasePath}?limit=2&continuationToken={Uri.EscapeDataString(token)}");
            Assert.InRange(page.Count, 1, 2);
            seen.AddRange(page);
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(names.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(seen.Count, seen.Distinct(StringComparer.Ordinal).Count());

        var (exact, exactToken) = await PageAsync(client, $"{scope.BasePath}?limit=5");
        Assert.Equal(5, exact.Count);
        Assert.Null(exactToken);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=-1")]
    [InlineData("limit=abc")]
    [InlineData("limit=1001")]
    [InlineData("limit=2.5")]
    [InlineData("continuationToken=not-a-token!")]
    [InlineData("continuationToken=%00%01")]
    public async Task AnInvalidLimitOrContinuationTokenAnswers400(string query)
    {
        var scope = await app.NewScopeAsync(HookScope.Organization);
        using var client = app.Admin();
        await client.CreateHookAsync(scope);
        var message = await (await client.GetAsync($"{scope.BasePath}?{query}")).AssertErrorAsync(HttpStatusCode.BadRequest);
        Assert.Contains(query.Split('=')[0], message, StringComparison.Ordinal);
    }
}
