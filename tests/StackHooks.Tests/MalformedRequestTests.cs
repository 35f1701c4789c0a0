using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>
/// The app with one organization to attack: a stack "proj/dev", an environment "proj/staging" and the legacy "default/legacy",
/// each with a webhook named "h" (with a secret).
/// </summary>
public sealed class MalformedRequestApp : StackHooksApp, IAsyncLifetime
{
    public HookScope OrgHooks { get; private set; } = null!;

    public HookScope StackHooks { get; private set; } = null!;

    public HookScope EnvHooks { get; private set; } = null!;

    public HookScope LegacyEnvHooks { get; private set; } = null!;

    public string Org => OrgHooks.Org;

    public async ValueTask InitializeAsync()
    {
        var org = await CreateOrganizationAsync();
        using var admin = Admin();
        OrgHooks = await this.NewScopeAsync(HookScope.Organization, org);
        StackHooks = await this.NewScopeAsync(HookScope.Stack, org);
        EnvHooks = await this.NewScopeAsync(HookScope.Environment, org);
        LegacyEnvHooks = await this.NewScopeAsync(HookScope.LegacyEnvironment, org);
        foreach (var scope in new[] { OrgHooks, StackHooks, EnvHooks, LegacyEnvHooks })
        {
            await admin.CreateHookAsync(scope, new { name = "h", secret = "malformed-tests-secret", filters = Array.Empty<string>() });
        }
    }

    /// <summary>Everything a malformed request could have changed, as the API shows it.</summary>
    public async Task<string> SnapshotAsync()
    {
        using var admin = Admin();
        var snapshot = new StringBuilder();
        string[] paths =
        [
            OrgHooks.BasePath, OrgHooks.HookPath("h"), StackHooks.BasePath, StackHooks.HookPath("h"), EnvHooks.BasePath, EnvHooks.HookPath("h"),
            LegacyEnvHooks.BasePath, $"/api/user/stacks?organization={Org}", $"/api/esc/environments/{Org}", $"/api/orgs/{Org}/members", "/api/user",
        ];
        foreach (var path in paths)
        {
            var response = await admin.GetAsync(path);
            snapshot.Append(path).Append(' ').Append((int)response.StatusCode).Append(' ').AppendLine(await response.Content.ReadAsStringAsync());
        }

        return snapshot.ToString();
    }
}

/// <summary>
/// Malformed and hostile requests (SPEC §1): each gets a 4xx with the JSON error shape and a message — never a 5xx,
/// never an HTML page — and changes nothing.
/// </summary>
public sealed class MalformedRequestTests(MalformedRequestApp app) : IClassFixture<MalformedRequestApp>
{
    private sealed record Case(HttpStatusCode Expected, Func<MalformedRequestApp, HttpRequestMessage> Request, bool Anonymous = false);

    private static HttpRequestMessage Send(HttpMethod method, string path, HttpContent? content = null) => new(method, path) { Content = content };

    private static HttpRequestMessage Send(HttpMethod method, string path, string body, string? contentType = "application/json")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return Send(method, path, content);
    }

    private static HttpRequestMessage Bytes(HttpMethod method, string path, byte[] body, bool chunked = false)
    {
        var content = chunked ? (HttpContent)new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = Send(method, path, content);
        request.Headers.TransferEncodingChunked = chunked;
        // As curl does for large bodies: wait for the server's go-ahead. The server answers 413 from the Content-Length
        // alone and closes; without this the client could still be writing the body and see a broken pipe instead.
        request.Headers.ExpectContinue = !chunked;
        return request;
    }

    /// <summary>A create on <paramref name="scope"/> whose otherwise valid body has <paramref name="field"/> set to <paramref name="json"/> (raw JSON).</summary>
    private static Case CreateWith(Func<MalformedRequestApp, HookScope> scope, string field, string json, HttpStatusCode expected = HttpStatusCode.BadRequest) =>
        new(expected, a =>
        {
            var body = scope(a).Body(new { name = "new-hook" });
            body[field] = "__PLACEHOLDER__";
            return Send(HttpMethod.Post, scope(a).BasePath, body.ToJsonString().Replace("\"__PLACEHOLDER__\"", json, StringComparison.Ordinal));
        });

    private static Case CreateWithString(Func<MalformedRequestApp, HookScope> scope, string field, string value) =>
        CreateWith(scope, field, JsonValue.Create(value).ToJsonString());

    private static Case PatchWith(Func<MalformedRequestApp, HookScope> scope, string body, HttpStatusCode expected = HttpStatusCode.BadRequest) =>
        new(expected, a => Send(HttpMethod.Patch, scope(a).HookPath("h"), body));

    private static HookScope Org(MalformedRequestApp a) => a.OrgHooks;

    private static HookScope Stack(MalformedRequestApp a) => a.StackHooks;

    private static HookScope Env(MalformedRequestApp a) => a.EnvHooks;

    private static HookScope Legacy(MalformedRequestApp a) => a.LegacyEnvHooks;

    private static string ValidOrgBody(MalformedRequestApp a) => a.OrgHooks.Body(new { name = "new-hook" }).ToJsonString();

    private static readonly Lazy<byte[]> OverOneMiB = new(() =>
        Encoding.UTF8.GetBytes($$"""{"active": true, "displayName": "{{new string('x', 1024 * 1024)}}", "payloadUrl": "https://example.com"}"""));

    private static readonly Dictionary<string, Case> Cases = new(StringComparer.Ordinal)
    {
        // Unreadable JSON.
        ["truncated JSON object"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, ValidOrgBody(a)[..^10])),
        ["not JSON at all"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, "hello, webhooks")),
        ["garbage after the JSON object"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, ValidOrgBody(a) + " {}")),
        ["single-quoted JSON"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, ValidOrgBody(a).Replace('"', '\''))),
        ["JSON with comments"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, "/* hi */ " + ValidOrgBody(a))),
        ["JSON with a trailing comma"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, ValidOrgBody(a)[..^1] + ",}")),
        ["NaN literal"] = CreateWith(Org, "active", "NaN"),
        ["empty body"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, "")),
        ["JSON null as the body"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, "null")),
        ["JSON array as the body"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, $"[{ValidOrgBody(a)}]")),
        ["JSON number as the body"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, "42")),
        ["JSON string as the body"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, "\"a webhook\"")),
        ["JSON true as the body"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.StackHooks.BasePath, "true")),
        ["JSON nested 10000 deep"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, a.OrgHooks.BasePath,
            """{"displayName": """ + new string('[', 10_000) + new string(']', 10_000) + "}")),
        ["invalid UTF-8 bytes in a string"] = new(HttpStatusCode.BadRequest, a => Bytes(HttpMethod.Post, a.OrgHooks.BasePath,
            [.. Encoding.UTF8.GetBytes(ValidOrgBody(a)[..^1] + ""","displayName":" """), 0xff, 0xfe, 0xc3, (byte)'"', (byte)'}'])),
        ["lone surrogate escape in displayName"] = CreateWith(Org, "displayName", "\"\\ud800 hook\""),

        // Wrong JSON types, field by field, on every scope.
        ["active as a string"] = CreateWith(Org, "active", "\"true\""),
        ["active as a number"] = CreateWith(Stack, "active", "1"),
        ["active as a number too large for any type"] = CreateWith(Env, "active", "1e999"),
        ["displayName as a number"] = CreateWith(Org, "displayName", "12345"),
        ["displayName as an object"] = CreateWith(Stack, "displayName", """{"text": "hook"}"""),
        ["displayName as an array"] = CreateWith(Legacy, "displayName", """["hook"]"""),
        ["payloadUrl as an array"] = CreateWith(Org, "payloadUrl", """["https://example.com"]"""),
        ["payloadUrl as a boolean"] = CreateWith(Env, "payloadUrl", "true"),
        ["organizationName as a boolean"] = CreateWith(Org, "organizationName", "false"),
        ["projectName as a number"] = CreateWith(Stack, "projectName", "7"),
        ["stackName as an object"] = CreateWith(Stack, "stackName", "{}"),
        ["envName as an array"] = CreateWith(Env, "envName", "[]"),
        ["name as a number"] = CreateWith(Org, "name", "123"),
        ["format as a number"] = CreateWith(Stack, "format", "0"),
        ["filters as a string"] = CreateWith(Org, "filters", "\"stack_created\""),
        ["filters with a number entry"] = CreateWith(Stack, "filters", "[1]"),
        ["filters with a null entry"] = CreateWith(Org, "filters", "[null]"),
        ["filters with a nested array"] = CreateWith(Env, "filters", """[["environment_tag_created"]]"""),
        ["groups as an object"] = CreateWith(Org, "groups", """{"stacks": true}"""),
        ["groups with a null entry"] = CreateWith(Stack, "groups", "[null]"),
        ["secret as a number"] = CreateWith(Org, "secret", "31337"),
        ["secret as an object"] = CreateWith(Env, "secret", """{"value": "s"}"""),

        // Oversized fields and bodies.
        ["displayName of 10000 characters"] = CreateWithString(Org, "displayName", new string('d', 10_000)),
        ["secret of 2000 characters"] = CreateWithString(Stack, "secret", new string('s', 2_000)),
        ["payloadUrl of 5000 characters"] = CreateWithString(Org, "payloadUrl", "https://example.com/" + new string('p', 4_980)),
        ["name of 1000 characters"] = CreateWithString(Env, "name", new string('n', 1_000)),
        ["ten thousand unknown filters"] = CreateWith(Org, "filters", "[" + string.Join(',', Enumerable.Repeat("\"nope\"", 10_000)) + "]"),
        ["body over 1 MiB with Content-Length"] = new(HttpStatusCode.RequestEntityTooLarge, a => Bytes(HttpMethod.Post, a.OrgHooks.BasePath, OverOneMiB.Value)),
        ["body over 1 MiB chunked"] = new(HttpStatusCode.RequestEntityTooLarge, a => Bytes(HttpMethod.Post, a.OrgHooks.BasePath, OverOneMiB.Value, chunked: true)),
        ["PATCH body over 1 MiB chunked"] = new(HttpStatusCode.RequestEntityTooLarge, a => Bytes(HttpMethod.Patch, a.StackHooks.HookPath("h"), OverOneMiB.Value, chunked: true)),

        // Not JSON at all.
        ["text/plain content type"] = new(HttpStatusCode.UnsupportedMediaType, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, ValidOrgBody(a), "text/plain")),
        ["form-urlencoded content type"] = new(HttpStatusCode.UnsupportedMediaType, a => Send(HttpMethod.Post, a.OrgHooks.BasePath,
            "active=true&displayName=x&payloadUrl=https%3A%2F%2Fexample.com", "application/x-www-form-urlencoded")),
        ["multipart content type"] = new(HttpStatusCode.UnsupportedMediaType, a => Send(HttpMethod.Post, a.StackHooks.BasePath,
            new MultipartFormDataContent { { new StringContent("x"), "displayName" } })),
        ["XML content type"] = new(HttpStatusCode.UnsupportedMediaType, a => Send(HttpMethod.Patch, a.OrgHooks.HookPath("h"),
            "<webhook><active>false</active></webhook>", "application/xml")),
        ["body without a content type"] = new(HttpStatusCode.UnsupportedMediaType, a => Send(HttpMethod.Post, a.OrgHooks.BasePath, ValidOrgBody(a), null)),

        // Path traversal.
        ["encoded traversal as the organization"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, "/api/orgs/..%2F..%2Fetc/hooks")),
        ["encoded traversal as the organization on create"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Post, "/api/orgs/..%2F..%2Fetc/hooks", ValidOrgBody(a))),
        ["encoded traversal as the webhook"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, $"{a.OrgHooks.BasePath}/..%2F..%2F..%2Fetc%2Fpasswd")),
        ["encoded traversal as the webhook on delete"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Delete, $"{a.StackHooks.BasePath}/..%2Fh")),
        ["encoded traversal as the project"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, $"/api/stacks/{a.Org}/..%2Fproj/dev/hooks")),
        ["encoded backslash traversal as the environment"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, $"/api/esc/environments/{a.Org}/proj/..%5C..%5Cstaging/hooks")),
        ["traversal in the webhook name"] = CreateWithString(Org, "name", "../../etc/passwd"),
        ["traversal in an environment name"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, $"/api/esc/environments/{a.Org}", """{"project": "proj", "name": "../staging"}""")),
        ["traversal in a stack name"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Post, $"/api/stacks/{a.Org}/proj", """{"stackName": "../../dev"}""")),

        // SQL metacharacters.
        ["SQL in the webhook name"] = CreateWithString(Org, "name", "x'; DROP TABLE webhooks;--"),
        ["SQL in organizationName"] = CreateWithString(Stack, "organizationName", "x' OR '1'='1"),
        ["SQL in a filter"] = CreateWith(Org, "filters", """["stack_created'; DROP TABLE webhooks;--"]"""),
        ["SQL in a group"] = CreateWith(Env, "groups", """["environments' OR 1=1 --"]"""),
        ["SQL in payloadUrl"] = CreateWithString(Org, "payloadUrl", "x'; DROP TABLE webhooks;--"),
        ["SQL in format"] = PatchWith(Stack, """{"format": "raw'; UPDATE webhooks SET active = 0;--"}"""),
        ["SQL in the continuation token"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Get, $"{a.OrgHooks.BasePath}?continuationToken=%27%20OR%201%3D1%20--")),
        ["SQL in the limit"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Get, $"{a.StackHooks.BasePath}?limit=1%3B%20DROP%20TABLE%20webhooks")),
        ["SQL as the organization"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, "/api/orgs/x'%20OR%20'1'%3D'1/hooks")),
        ["SQL as the webhook"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Delete, $"{a.OrgHooks.BasePath}/h'%20OR%20'1'%3D'1")),
        ["SQL in a member role"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Put, $"/api/orgs/{a.Org}/members/admin", """{"role": "admin' --"}""")),

        // Control characters.
        ["NUL in displayName"] = CreateWithString(Org, "displayName", "hook\u0000name"),
        ["newline in displayName"] = CreateWithString(Stack, "displayName", "hook\nX-Injected: yes"),
        ["escape sequence in displayName"] = CreateWithString(Env, "displayName", "\u001b[31mred\u001b[0m"),
        ["NUL in the webhook name"] = CreateWithString(Org, "name", "h\u0000"),
        ["newline in the webhook name"] = CreateWithString(Stack, "name", "h\nx"),
        ["escape sequence in the webhook name"] = CreateWithString(Legacy, "name", "\u001b[2J"),
        ["CRLF header injection in payloadUrl"] = CreateWithString(Org, "payloadUrl", "https://example.com/\r\nX-Injected: yes"),
        ["NUL in a patched displayName"] = PatchWith(Org, """{"displayName": "ok\u0000"}"""),

        // URLs, routes and methods.
        ["URL of 20000 characters in the query"] = new(HttpStatusCode.RequestUriTooLong, a => Send(HttpMethod.Get, $"{a.OrgHooks.BasePath}?x={new string('a', 20_000)}")),
        ["URL of 20000 characters in the path"] = new(HttpStatusCode.RequestUriTooLong, a => Send(HttpMethod.Get, $"{a.OrgHooks.BasePath}/{new string('h', 20_000)}")),
        ["unknown API route"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, "/api/nope")),
        ["unknown route below a webhook"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, $"{a.OrgHooks.HookPath("h")}/secrets")),
        ["unknown API version"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, $"/api/v2/orgs/{a.Org}/hooks")),
        ["PUT on a webhook"] = new(HttpStatusCode.MethodNotAllowed, a => Send(HttpMethod.Put, a.OrgHooks.HookPath("h"), ValidOrgBody(a))),
        ["POST on a webhook"] = new(HttpStatusCode.MethodNotAllowed, a => Send(HttpMethod.Post, a.StackHooks.HookPath("h"), "{}")),
        ["DELETE on the webhook list"] = new(HttpStatusCode.MethodNotAllowed, a => Send(HttpMethod.Delete, a.OrgHooks.BasePath)),
        ["PATCH on the webhook list"] = new(HttpStatusCode.MethodNotAllowed, a => Send(HttpMethod.Patch, a.EnvHooks.BasePath, "{}")),
        ["DELETE on the organizations"] = new(HttpStatusCode.MethodNotAllowed, a => Send(HttpMethod.Delete, "/api/orgs")),
        ["OPTIONS on the webhook list"] = new(HttpStatusCode.MethodNotAllowed, a => Send(HttpMethod.Options, a.OrgHooks.BasePath)),
        ["TRACE on a webhook"] = new(HttpStatusCode.MethodNotAllowed, a => Send(HttpMethod.Trace, a.StackHooks.HookPath("h"))),
        ["browser Accept header on an unknown webhook"] = new(HttpStatusCode.NotFound, a =>
        {
            var request = Send(HttpMethod.Get, a.OrgHooks.HookPath("missing"));
            request.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
            return request;
        }),
        ["browser Accept header on a bad create"] = new(HttpStatusCode.BadRequest, a =>
        {
            var request = Send(HttpMethod.Post, a.OrgHooks.BasePath, "{");
            request.Headers.TryAddWithoutValidation("Accept", "text/html");
            return request;
        }),

        // Unicode oddities.
        ["fullwidth letters in the webhook name"] = CreateWithString(Org, "name", "\uff48\uff4f\uff4f\uff4b"),
        ["right-to-left override in the webhook name"] = CreateWithString(Stack, "name", "\u202ekooh"),
        ["zero-width space in the webhook name"] = CreateWithString(Env, "name", "ho\u200bok"),
        ["combining accent in the webhook name"] = CreateWithString(Org, "name", "he\u0301"),
        ["fullwidth format"] = CreateWithString(Org, "format", "\uff52\uff41\uff57"),
        ["displayName of only unicode spaces"] = CreateWithString(Stack, "displayName", "\u2028\u3000\u00a0"),
        ["non-ASCII organization in the path"] = new(HttpStatusCode.NotFound, a => Send(HttpMethod.Get, "/api/orgs/%C3%B8rg/hooks")),
        ["fullwidth organizationName"] = CreateWithString(Org, "organizationName", "\uff4f\uff52\uff47"),

        // PATCH.
        ["PATCH renaming the webhook"] = PatchWith(Org, """{"name": "renamed"}"""),
        ["PATCH with active as a string"] = PatchWith(Stack, """{"active": "false"}"""),
        ["PATCH with a JSON null body"] = PatchWith(Env, "null"),
        ["PATCH with truncated JSON"] = PatchWith(Org, """{"active": fal"""),
        ["PATCH with a secret of 2000 characters"] = new(HttpStatusCode.BadRequest, a => Send(HttpMethod.Patch, a.OrgHooks.HookPath("h"),
            new JsonObject { ["secret"] = new string('s', 2_000) }.ToJsonString())),

        // Hostile credentials.
        ["SQL in the access token"] = new(HttpStatusCode.Unauthorized, a =>
        {
            var request = Send(HttpMethod.Get, a.OrgHooks.BasePath);
            request.Headers.TryAddWithoutValidation("Authorization", "token ' OR '1'='1");
            return request;
        }, Anonymous: true),
        ["access token of 10000 characters"] = new(HttpStatusCode.Unauthorized, a =>
        {
            var request = Send(HttpMethod.Delete, a.OrgHooks.HookPath("h"));
            request.Headers.TryAddWithoutValidation("Authorization", "token " + new string('t', 10_000));
            return request;
        }, Anonymous: true),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task AMalformedRequestAnswersA4xxJsonErrorAndChangesNothing(string name)
    {
        var @case = Cases[name];
        var before = await app.SnapshotAsync();

        using var client = @case.Anonymous ? app.Anonymous() : app.Admin();
        using var request = @case.Request(app);
        using var response = await client.SendAsync(request);

        Assert.InRange((int)response.StatusCode, 400, 499);
        var message = await response.AssertErrorAsync(@case.Expected);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("<html", message, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(before, await app.SnapshotAsync());
    }

    [Fact]
    public void ThereAreAtLeastThirtyDistinctCases() => Assert.True(Cases.Count >= 30, $"{Cases.Count} cases");
}
