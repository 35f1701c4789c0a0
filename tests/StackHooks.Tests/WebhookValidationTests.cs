using System.Net;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>A server configured with an empty Slack URL prefix, as operators do for local testing (SPEC §3, §9).</summary>
public sealed class AnySlackUrlApp : StackHooksApp
{
    public AnySlackUrlApp() => With("StackHooks:Webhooks:SlackUrlPrefix", "");
}

/// <summary>Every rule of SPEC §3 for create bodies, on the organization, stack and environment scopes (and the legacy environment path).</summary>
public sealed class WebhookValidationTests(StackHooksApp app, AnySlackUrlApp anySlackApp)
    : IClassFixture<StackHooksApp>, IClassFixture<AnySlackUrlApp>
{
    private async Task<(HookScope Scope, HttpClient Client)> ScopeAsync(string kind) => (await app.NewScopeAsync(kind), app.Admin());

    private static async Task<string> PostExpecting400Async(HttpClient client, HookScope scope, object changes) =>
        await (await client.PostAsync(scope.BasePath, TestJson.Of(scope.Body(changes)))).AssertErrorAsync(HttpStatusCode.BadRequest);

    private static async Task<string> PostExpecting400Async(HttpClient client, HookScope scope, JsonObject body) =>
        await (await client.PostAsync(scope.BasePath, TestJson.Of(body))).AssertErrorAsync(HttpStatusCode.BadRequest);

    private static JsonObject RemoveField(JsonObject body, string field)
    {
        body.Remove(field);
        return body;
    }

    private static async Task AssertNoHooksAsync(HttpClient client, HookScope scope) =>
        Assert.Empty(await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task CreatingAWebhookWithoutANameGeneratesEightLowercaseHexCharacters(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            var created = await client.CreateHookAsync(scope, new { name = (string?)null });
            names.Add(created.Str("name"));
        }

        var empty = await client.CreateHookAsync(scope, new { name = "" });
        names.Add(empty.Str("name"));

        Assert.Equal(6, names.Count);
        Assert.All(names, name => Assert.Matches("^[0-9a-f]{8}$", name));
        foreach (var name in names)
        {
            await (await client.GetAsync(scope.HookPath(name))).AssertJsonAsync(HttpStatusCode.OK);
        }
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task CreatingAWebhookAnswers201WithTheWebhookObjectOfItsScope(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var response = await client.PostAsync(scope.BasePath, TestJson.Of(scope.Body(new { name = "my-hook" })));
        var created = await response.AssertJsonAsync(HttpStatusCode.Created);

        Assert.Equal(scope.Org, created.Str("organizationName"));
        Assert.Equal("my-hook", created.Str("name"));
        Assert.Equal("Test webhook", created.Str("displayName"));
        Assert.Equal("https://example.com/webhook", created.Str("payloadUrl"));
        Assert.True(created.Bool("active"));
        Assert.Equal("raw", created.Str("format"));
        Assert.Empty(created.Strings("filters"));
        Assert.Empty(created.Strings("groups"));
        Assert.False(created.Bool("hasSecret"));
        Assert.Equal("", created.Str("secretCiphertext"));
        if (scope.Kind == HookScope.Stack)
        {
            Assert.Equal(scope.Project, created.Str("projectName"));
            Assert.Equal(scope.Target, created.Str("stackName"));
        }

        if (scope.IsEnvironment)
        {
            Assert.Equal(scope.Project, created.Str("projectName"));
            Assert.Equal(scope.Target, created.Str("envName"));
        }

        var got = await (await client.GetAsync(scope.HookPath("my-hook"))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(created, got), $"GET differs from the create answer: {got}");
    }

    public static TheoryData<string> InvalidNames =>
    [
        new string('a', 33),
        "has space",
        "a/b",
        "a\\b",
        "../etc",
        "caf\u00e9",
        "semi;colon",
        "quote'",
        "tab\tname",
        "emoji\U0001F600",
        "x'; DROP TABLE webhooks;--",
        "percent%20",
    ];

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task CreatingAWebhookWithANameOutsideTheNameRuleAnswers400(string name)
    {
        var (scope, client) = await ScopeAsync(HookScope.Organization);
        var message = await PostExpecting400Async(client, scope, new { name });
        Assert.Contains("name", message, StringComparison.Ordinal);
        await AssertNoHooksAsync(client, scope);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task NamesOfOneTo32LettersDigitsDotsUnderscoresAndDashesAreAccepted(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        string[] names = ["a", "Z", "9", new string('x', 32), "My.Hook_1-2", "-leading-dash", "...", "_"];
        foreach (var name in names)
        {
            var created = await client.CreateHookAsync(scope, new { name });
            Assert.Equal(name, created.Str("name"));
            await (await client.GetAsync(scope.HookPath(name))).AssertJsonAsync(HttpStatusCode.OK);
        }
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task ANameThatIsADotSegmentAnswers400BecauseNoUrlCouldAddressTheWebhook(string name)
    {
        // "/hooks/." and "/hooks/.." are normalised away by every HTTP client and by the server, so such a webhook could
        // never be read, updated or deleted again.
        var (scope, client) = await ScopeAsync(HookScope.Organization);
        await PostExpecting400Async(client, scope, new { name });
        await AssertNoHooksAsync(client, scope);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task CreatingAWebhookWithATakenNameAnswers409(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        await client.CreateHookAsync(scope, new { name = "taken" });

        var response = await client.PostAsync(scope.BasePath, TestJson.Of(scope.Body(new { name = "taken", displayName = "Another" })));
        var message = await response.AssertErrorAsync(HttpStatusCode.Conflict);
        Assert.Equal("Webhook with name taken already exists.", message);

        var list = await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Equal("Test webhook", Assert.Single(list)!.Str("displayName"));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task ConcurrentCreatesWithTheSameNameGiveExactlyOne201AndOtherwise409(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            client.PostAsync(scope.BasePath, TestJson.Of(scope.Body(new { name = "race", displayName = $"Racer {i}" })))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        foreach (var response in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            Assert.Equal("Webhook with name race already exists.", await response.AssertErrorAsync(HttpStatusCode.Conflict));
        }

        Assert.Single(await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task ConcurrentCreatesWithGeneratedNamesAllSucceedWithDistinctNames()
    {
        var (scope, client) = await ScopeAsync(HookScope.Stack);
        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            client.PostAsync(scope.BasePath, TestJson.Of(scope.Body(new { displayName = $"Parallel {i}" })))));
        var names = new List<string>();
        foreach (var response in responses)
        {
            names.Add((await response.AssertJsonAsync(HttpStatusCode.Created)).Str("name"));
        }

        Assert.Equal(16, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(16, (await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK)).Count);
    }

    [Fact]
    public async Task TheSameNameMayBeUsedInDifferentScopes()
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        foreach (var kind in new[] { HookScope.Organization, HookScope.Stack, HookScope.Environment, HookScope.LegacyEnvironment })
        {
            var scope = await app.NewScopeAsync(kind, org);
            await client.CreateHookAsync(scope, new { name = "shared" });
        }

        var otherOrg = await app.NewScopeAsync(HookScope.Organization);
        await client.CreateHookAsync(otherOrg, new { name = "shared" });
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task OrganizationNameIsRequiredOnCreate(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        Assert.Contains("organizationName", await PostExpecting400Async(client, scope, new { organizationName = (string?)null }), StringComparison.Ordinal);
        Assert.Contains("organizationName", await PostExpecting400Async(client, scope, new { organizationName = "" }), StringComparison.Ordinal);
        await AssertNoHooksAsync(client, scope);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task OrganizationNameDifferentFromThePathAnswers400(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var other = await app.CreateOrganizationAsync();
        var message = await PostExpecting400Async(client, scope, new { organizationName = other });
        Assert.Contains("organizationName", message, StringComparison.Ordinal);
        await AssertNoHooksAsync(client, scope);
    }

    [Fact]
    public async Task StackHookProjectOrStackNameDifferentFromThePathAnswers400()
    {
        var (scope, client) = await ScopeAsync(HookScope.Stack);
        await app.CreateStackAsync(scope.Org, "proj", "prod");
        await app.CreateStackAsync(scope.Org, "other", "dev");

        Assert.Contains("projectName", await PostExpecting400Async(client, scope, new { projectName = "other" }), StringComparison.Ordinal);
        Assert.Contains("stackName", await PostExpecting400Async(client, scope, new { stackName = "prod" }), StringComparison.Ordinal);
        await AssertNoHooksAsync(client, scope);
    }

    [Theory]
    [InlineData(HookScope.Environment)]
    [InlineData(HookScope.LegacyEnvironment)]
    public async Task EnvironmentHookProjectOrEnvNameDifferentFromThePathAnswers400(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        Assert.Contains("projectName", await PostExpecting400Async(client, scope, new { projectName = "elsewhere" }), StringComparison.Ordinal);
        Assert.Contains("envName", await PostExpecting400Async(client, scope, new { envName = "prod" }), StringComparison.Ordinal);
        await AssertNoHooksAsync(client, scope);
    }

    [Theory]
    [MemberData(nameof(HookScopes.StackAndEnvironment), MemberType = typeof(HookScopes))]
    public async Task ProjectStackAndEnvNamesMayBeOmitted(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var created = await client.CreateHookAsync(scope, new { projectName = (string?)null, stackName = (string?)null, envName = (string?)null });
        Assert.Equal(scope.Project, created.Str("projectName"));
        Assert.Equal(scope.Target, created.Str(scope.Kind == HookScope.Stack ? "stackName" : "envName"));
    }

    [Theory]
    [MemberData(nameof(HookScopes.StackAndEnvironment), MemberType = typeof(HookScopes))]
    public async Task HooksOfAStackOrEnvironmentThatDoesNotExistAnswer404(string kind)
    {
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        var basePath = kind switch
        {
            HookScope.Stack => $"/api/stacks/{org}/proj/missing/hooks",
            HookScope.Environment => $"/api/esc/environments/{org}/proj/missing/hooks",
            _ => $"/api/preview/environments/{org}/missing/hooks",
        };
        var scope = new HookScope(kind, org, kind == HookScope.LegacyEnvironment ? "default" : "proj", "missing", basePath);

        await (await client.GetAsync(basePath)).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.PostAsync(basePath, TestJson.Of(scope.Body()))).AssertErrorAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"{basePath}/abc")).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task DisplayNameIsRequiredAndMustNotBeBlank(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        foreach (var displayName in new[] { null, "", "   ", "\t " })
        {
            var message = await PostExpecting400Async(client, scope, displayName is null ? RemoveField(scope.Body(), "displayName") : scope.Body(new { displayName }));
            Assert.Contains("displayName", message, StringComparison.Ordinal);
        }

        await AssertNoHooksAsync(client, scope);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task DisplayNameIsTrimmedAndMayBeUpTo200Characters(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var trimmed = await client.CreateHookAsync(scope, new { displayName = "  Deploy notifications \t" });
        Assert.Equal("Deploy notifications", trimmed.Str("displayName"));

        var longest = new string('d', 200);
        var created = await client.CreateHookAsync(scope, new { displayName = "  " + longest + "  " });
        Assert.Equal(longest, created.Str("displayName"));

        var unicode = await client.CreateHookAsync(scope, new { displayName = "D\u00e9ploiements \U0001F680 \u65e5\u672c" });
        Assert.Equal("D\u00e9ploiements \U0001F680 \u65e5\u672c", unicode.Str("displayName"));

        var message = await PostExpecting400Async(client, scope, new { displayName = new string('d', 201) });
        Assert.Contains("displayName", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task ActiveIsRequiredOnCreate(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var message = await PostExpecting400Async(client, scope, RemoveField(scope.Body(), "active"));
        Assert.Contains("active", message, StringComparison.Ordinal);
        await AssertNoHooksAsync(client, scope);

        var inactive = await client.CreateHookAsync(scope, new { active = false });
        Assert.False(inactive.Bool("active"));
    }

    public static TheoryData<string> HttpFormats => ["raw", "ms_teams"];

    [Theory]
    [MemberData(nameof(HttpFormats))]
    public async Task RawAndTeamsPayloadUrlsMustBeAbsoluteHttpUrlsWithAHost(string format)
    {
        foreach (var kind in new[] { HookScope.Organization, HookScope.Stack, HookScope.Environment })
        {
            var (scope, client) = await ScopeAsync(kind);
            string[] valid = ["https://example.com/webhook", "http://example.com", "https://example.com:8443/a/b?c=d", "http://10.0.0.1:8080/hook"];
            foreach (var payloadUrl in valid)
            {
                var created = await client.CreateHookAsync(scope, new { format, payloadUrl });
                Assert.Equal(payloadUrl, created.Str("payloadUrl"));
                Assert.Equal(format, created.Str("format"));
            }

            string[] invalid =
            [
                "", "   ", "example.com/webhook", "ftp://example.com/webhook", "https://", "mailto:ops@example.com",
                "/relative/path", "javascript:alert(1)", "file:///etc/passwd", "https://exa mple.com/", "not a url",
            ];
            foreach (var payloadUrl in invalid)
            {
                var message = await PostExpecting400Async(client, scope, new { format, payloadUrl });
                Assert.Contains("payloadUrl", message, StringComparison.Ordinal);
            }

            Assert.Contains("payloadUrl", await PostExpecting400Async(client, scope, RemoveField(scope.Body(new { format }), "payloadUrl")), StringComparison.Ordinal);
            Assert.Equal(valid.Length, (await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK)).Count);
        }
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task SlackPayloadUrlsMustStartWithTheSlackHooksHost(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var created = await client.CreateHookAsync(scope, new { format = "slack", payloadUrl = "https://hooks.slack.com/services/T000/B000/XXXX" });
        Assert.Equal("slack", created.Str("format"));

        string[] invalid =
        [
            "https://example.com/services/T000/B000/XXXX",
            "http://hooks.slack.com/services/T000/B000/XXXX",
            "https://hooks.slack.com.evil.example/services/x",
            "https://evil.example/https://hooks.slack.com/",
            "hooks.slack.com/services/x",
        ];
        foreach (var payloadUrl in invalid)
        {
            var message = await PostExpecting400Async(client, scope, new { format = "slack", payloadUrl });
            Assert.Contains("payloadUrl", message, StringComparison.Ordinal);
        }

        Assert.Single(await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task AnEmptySlackUrlPrefixInConfigurationAllowsAnyHttpUrlForSlackButStillChecksIt()
    {
        var scope = await anySlackApp.NewScopeAsync(HookScope.Organization);
        using var client = anySlackApp.Admin();
        var created = await client.CreateHookAsync(scope, new { format = "slack", payloadUrl = "http://127.0.0.1:9999/slack" });
        Assert.Equal("http://127.0.0.1:9999/slack", created.Str("payloadUrl"));

        await PostExpecting400Async(client, scope, new { format = "slack", payloadUrl = "ftp://127.0.0.1/slack" });
    }

    [Theory]
    [MemberData(nameof(HookScopes.StackAndEnvironment), MemberType = typeof(HookScopes))]
    public async Task PulumiDeploymentsPayloadUrlMustNameAnExistingStackOfTheSameOrganization(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        await app.CreateStackAsync(scope.Org, "infra", "prod");
        var otherOrg = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(otherOrg, "infra", "elsewhere");

        var created = await client.CreateHookAsync(scope, new { format = "pulumi_deployments", payloadUrl = "infra/prod" });
        Assert.Equal("pulumi_deployments", created.Str("format"));
        Assert.Equal("infra/prod", created.Str("payloadUrl"));

        string[] invalid =
        [
            "infra/missing", "infra/elsewhere", "infra", "infra/prod/extra", $"{scope.Org}/infra/prod", "https://example.com/webhook",
            "/prod", "infra/", "../prod", "infra/pr od",
        ];
        foreach (var payloadUrl in invalid)
        {
            var message = await PostExpecting400Async(client, scope, new { format = "pulumi_deployments", payloadUrl });
            Assert.Contains("payloadUrl", message, StringComparison.Ordinal);
        }

        Assert.Single(await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task PulumiDeploymentsOnAnOrganizationWebhookAnswers400()
    {
        var (scope, client) = await ScopeAsync(HookScope.Organization);
        await app.CreateStackAsync(scope.Org, "infra", "prod");
        var message = await PostExpecting400Async(client, scope, new { format = "pulumi_deployments", payloadUrl = "infra/prod" });
        Assert.Equal("'pulumi_deployments' format can only be used on stack or environment webhooks", message);
        await AssertNoHooksAsync(client, scope);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task AnUnknownFormatAnswers400(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        foreach (var format in new[] { "json", "RAW", "Slack", "teams", "msteams", " raw", "pulumi-deployments" })
        {
            var message = await PostExpecting400Async(client, scope, new { format });
            Assert.Contains("format", message, StringComparison.Ordinal);
        }

        await AssertNoHooksAsync(client, scope);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task EveryFilterValidForTheScopeIsAcceptedAndReturned(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var filters = SpecEvents.ValidFilters(scope);
        var created = await client.CreateHookAsync(scope, new { filters });
        Assert.Equal(filters.Order(StringComparer.Ordinal), created.Strings("filters").Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task AFilterTheScopeCannotReceiveAnswers400NamingIt(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        string[] bad = [.. SpecEvents.InvalidFilters(scope), "no_such_event", "STACK_CREATED", "stack_created ", ""];
        foreach (var filter in bad)
        {
            var valid = SpecEvents.ValidFilters(scope)[0];
            var message = await PostExpecting400Async(client, scope, new { filters = new[] { valid, filter } });
            Assert.Contains("filters", message, StringComparison.Ordinal);
            Assert.Contains($"'{filter}'", message, StringComparison.Ordinal);
        }

        await AssertNoHooksAsync(client, scope);
    }

    [Fact]
    public async Task StackCreatedIsAnOrganizationOnlyFilter()
    {
        var (org, client) = await ScopeAsync(HookScope.Organization);
        var stack = await app.NewScopeAsync(HookScope.Stack, org.Org);
        await client.CreateHookAsync(org, new { filters = new[] { "stack_created", "stack_deleted", "environment_created" } });
        var message = await PostExpecting400Async(client, stack, new { filters = new[] { "stack_created" } });
        Assert.Contains("stack_created", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task GroupsMustBeValidForTheScope(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var groups = SpecEvents.ValidGroups(scope);
        var created = await client.CreateHookAsync(scope, new { groups });
        Assert.Equal(groups.Order(StringComparer.Ordinal), created.Strings("groups").Order(StringComparer.Ordinal));

        foreach (var group in SpecEvents.InvalidGroups(scope).Append("everything").Append("Stacks").Append(""))
        {
            var message = await PostExpecting400Async(client, scope, new { groups = new[] { group } });
            Assert.Contains("groups", message, StringComparison.Ordinal);
            Assert.Contains($"'{group}'", message, StringComparison.Ordinal);
        }

        Assert.Single(await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task ASecretOfUpTo1024CharactersIsAcceptedAndALongerOneAnswers400(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var longest = new string('s', 1024);
        var created = await client.CreateHookAsync(scope, new { secret = longest });
        Assert.True(created.Bool("hasSecret"));
        Assert.Equal(TestJson.Sha256Hex(longest), created.Str("secretCiphertext"));

        var message = await PostExpecting400Async(client, scope, new { secret = new string('s', 1025) });
        Assert.Contains("secret", message, StringComparison.Ordinal);
        Assert.Single(await (await client.GetAsync(scope.BasePath)).AssertJsonArrayAsync(HttpStatusCode.OK));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task TheSecretIsNeverReturnedOnlyItsSha256Fingerprint(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        const string secret = "s3cr3t-HMAC-key-\u00fc\u00f1\u00ee";
        var createResponse = await client.PostAsync(scope.BasePath, TestJson.Of(scope.Body(new { name = "signed", secret })));
        var createBody = await createResponse.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, createResponse.StatusCode);

        var getBody = await (await client.GetAsync(scope.HookPath("signed"))).Content.ReadAsStringAsync();
        var listBody = await (await client.GetAsync(scope.BasePath)).Content.ReadAsStringAsync();
        foreach (var body in new[] { createBody, getBody, listBody })
        {
            Assert.DoesNotContain("s3cr3t", body, StringComparison.Ordinal);
            Assert.DoesNotContain("\"secret\"", body, StringComparison.Ordinal);
        }

        var created = JsonNode.Parse(createBody)!;
        Assert.True(created.Bool("hasSecret"));
        Assert.Equal(TestJson.Sha256Hex(secret), created.Str("secretCiphertext"));
        Assert.Matches("^[0-9a-f]{64}$", created.Str("secretCiphertext"));
        Assert.Equal(TestJson.Sha256Hex(secret), JsonNode.Parse(getBody)!.Str("secretCiphertext"));

        var unsigned = await client.CreateHookAsync(scope, new { secret = "" });
        Assert.False(unsigned.Bool("hasSecret"));
        Assert.Equal("", unsigned.Str("secretCiphertext"));
    }

    [Theory]
    [MemberData(nameof(HookScopes.All), MemberType = typeof(HookScopes))]
    public async Task EmptyNameHasSecretSecretCiphertextAndUnknownFieldsAreTolerated(string kind)
    {
        var (scope, client) = await ScopeAsync(kind);
        var body = scope.Body(new
        {
            name = "",
            hasSecret = true,
            secretCiphertext = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            unknownField = 42,
            nested = new { deeper = new[] { 1, 2, 3 } },
            createdAt = "2024-01-01T00:00:00Z",
        });
        var created = await (await client.PostAsync(scope.BasePath, TestJson.Of(body))).AssertJsonAsync(HttpStatusCode.Created);

        Assert.Matches("^[0-9a-f]{8}$", created.Str("name"));
        Assert.False(created.Bool("hasSecret"));
        Assert.Equal("", created.Str("secretCiphertext"));
        Assert.False(created.ContainsKey("unknownField"));
        Assert.False(created.ContainsKey("nested"));
    }
}
