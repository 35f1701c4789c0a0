using System.Net;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>The app, with its OpenAPI document fetched once: generating it takes a noticeable fraction of a second.</summary>
public sealed class OpenApiApp : StackHooksApp
{
    private readonly Lazy<Task<JsonObject>> document;

    public OpenApiApp() => document = new(FetchAsync);

    public Task<JsonObject> OpenApiAsync() => document.Value;

    private async Task<JsonObject> FetchAsync()
    {
        using var client = Anonymous();
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "");
        return await response.AssertJsonAsync(HttpStatusCode.OK);
    }
}

/// <summary>Health, the OpenAPI document and the API reference page (SPEC §9).</summary>
public sealed class OperationsTests(OpenApiApp app) : IClassFixture<OpenApiApp>
{
    [Fact]
    public async Task HealthzAnswers200WithoutAToken()
    {
        using var client = app.Anonymous();
        var health = await (await client.GetAsync("/healthz")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Healthy", health.Str("status"));
    }

    public static TheoryData<string, string> ApiOperations => new()
    {
        { "get", "/api/orgs/{org}/hooks" },
        { "post", "/api/orgs/{org}/hooks" },
        { "get", "/api/orgs/{org}/hooks/{hook}" },
        { "patch", "/api/orgs/{org}/hooks/{hook}" },
        { "delete", "/api/orgs/{org}/hooks/{hook}" },
        { "post", "/api/orgs/{org}/hooks/{hook}/ping" },
        { "get", "/api/orgs/{org}/hooks/{hook}/deliveries" },
        { "get", "/api/orgs/{org}/hooks/{hook}/deliveries/{id}" },
        { "post", "/api/orgs/{org}/hooks/{hook}/deliveries/{id}/redeliver" },
        { "get", "/api/stacks/{org}/{project}/{stack}/hooks" },
        { "post", "/api/stacks/{org}/{project}/{stack}/hooks" },
        { "get", "/api/stacks/{org}/{project}/{stack}/hooks/{hook}" },
        { "patch", "/api/stacks/{org}/{project}/{stack}/hooks/{hook}" },
        { "delete", "/api/stacks/{org}/{project}/{stack}/hooks/{hook}" },
        { "post", "/api/stacks/{org}/{project}/{stack}/hooks/{hook}/ping" },
        { "get", "/api/stacks/{org}/{project}/{stack}/hooks/{hook}/deliveries" },
        { "get", "/api/stacks/{org}/{project}/{stack}/hooks/{hook}/deliveries/{id}" },
        { "post", "/api/stacks/{org}/{project}/{stack}/hooks/{hook}/deliveries/{id}/redeliver" },
        { "get", "/api/esc/environments/{org}/{project}/{env}/hooks" },
        { "post", "/api/esc/environments/{org}/{project}/{env}/hooks" },
        { "get", "/api/esc/environments/{org}/{project}/{env}/hooks/{hook}" },
        { "patch", "/api/esc/environments/{org}/{project}/{env}/hooks/{hook}" },
        { "delete", "/api/esc/environments/{org}/{project}/{env}/hooks/{hook}" },
        { "post", "/api/esc/environments/{org}/{project}/{env}/hooks/{hook}/ping" },
        { "get", "/api/esc/environments/{org}/{project}/{env}/hooks/{hook}/deliveries" },
        { "get", "/api/esc/environments/{org}/{project}/{env}/hooks/{hook}/deliveries/{id}" },
        { "post", "/api/esc/environments/{org}/{project}/{env}/hooks/{hook}/deliveries/{id}/redeliver" },
        { "post", "/api/stacks/{org}/{project}" },
        { "get", "/api/stacks/{org}/{project}/{stack}" },
        { "delete", "/api/stacks/{org}/{project}/{stack}" },
        { "get", "/api/user/stacks" },
        { "get", "/api/esc/environments/{org}" },
        { "post", "/api/esc/environments/{org}" },
        { "get", "/api/esc/environments/{org}/{project}/{env}" },
        { "delete", "/api/esc/environments/{org}/{project}/{env}" },
        { "get", "/api/user" },
        { "get", "/api/user/organizations/default" },
        { "get", "/api/capabilities" },
        { "get", "/api/user/tokens" },
        { "post", "/api/user/tokens" },
        { "delete", "/api/user/tokens/{id}" },
        { "post", "/api/orgs" },
        { "post", "/api/users" },
        { "post", "/api/users/{login}/tokens" },
        { "get", "/api/orgs/{org}/members" },
        { "put", "/api/orgs/{org}/members/{login}" },
        { "delete", "/api/orgs/{org}/members/{login}" },
    };

    [Theory]
    [MemberData(nameof(ApiOperations))]
    public async Task TheOpenApiDocumentDescribesEveryApiOperation(string method, string path)
    {
        var paths = (await app.OpenApiAsync())["paths"]!.AsObject();
        Assert.True(paths.ContainsKey(path), $"{path} is missing; the document has: {string.Join(", ", paths.Select(p => p.Key))}");
        Assert.True(paths[path]!.AsObject().ContainsKey(method), $"{method.ToUpperInvariant()} {path} is missing");
    }

    [Fact]
    public async Task TheOpenApiDocumentIsAnOpenApi3DocumentWithTheTokenScheme()
    {
        var document = await app.OpenApiAsync();
        Assert.StartsWith("3.", document.Str("openapi"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(document["info"]!.Str("title")));
        Assert.NotNull(document["components"]?["securitySchemes"]?["token"]);
    }

    [Fact]
    public async Task TheApiReferencePageAnswersHtml()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = true }) { BaseAddress = app.BaseAddress };
        var response = await client.GetAsync("/docs");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("openapi/v1.json", body, StringComparison.Ordinal);
    }
}
