using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using StackHooks.BrowserTests.Support;
using StackHooks.WebConsole;
using static Microsoft.Playwright.Assertions;

namespace StackHooks.BrowserTests;

/// <summary>
/// The console is safe by construction: a strict Content-Security-Policy, data shown as text, the token kept in the tab's
/// sessionStorage only, and static files that never shadow the API.
/// </summary>
public sealed class ConsoleSafetyTests(Chromium chromium, StackHooksApp app) : IClassFixture<StackHooksApp>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/index.html")]
    [InlineData("/js/app.js")]
    [InlineData("/css/console.css")]
    public async Task ConsoleFilesAreServedWithTheStrictContentSecurityPolicy(string path)
    {
        using var client = app.Anonymous();
        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(ConsoleHosting.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Theory]
    [InlineData("GET", "/api/unknown", HttpStatusCode.NotFound)]
    [InlineData("GET", "/api/index.html", HttpStatusCode.NotFound)]
    [InlineData("GET", "/api/user", HttpStatusCode.Unauthorized)]
    [InlineData("POST", "/", HttpStatusCode.NotFound)]
    [InlineData("GET", "/no-such-file.js", HttpStatusCode.NotFound)]
    public async Task StaticFilesNeverShadowTheApi(string method, string path, HttpStatusCode expected)
    {
        using var client = app.Anonymous();
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal((int)expected, body!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task HealthOpenApiAndDocsAreStillTheirOwn()
    {
        using var client = app.Anonymous();
        Assert.Equal("Healthy", (await client.GetFromJsonAsync<JsonObject>("/healthz"))!["status"]!.GetValue<string>());
        Assert.NotNull((await client.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!["paths"]);
        var docs = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.False(docs.Headers.Contains("Content-Security-Policy"));
    }

    [Fact]
    public async Task MarkupInADisplayNameIsShownAsTextAndNeverRuns()
    {
        var org = await app.CreateOrganizationAsync();
        const string hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;
        await tab.SignInAsync(StackHooksApp.AdminToken, $"#/orgs/{org}/new-webhook");

        await page.GetByLabel("Display Name").FillAsync(hostile);
        await page.GetByLabel("Payload URL").FillAsync("https://example.com/hook");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = hostile, Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Breadcrumb" })).ToContainTextAsync(hostile);
        await Expect(page.GetByText($"Webhook “{hostile}” created.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Breadcrumb" }).GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = hostile })).ToBeVisibleAsync();

        // Only the console's own module script exists, no <img> was made from the name, and no dialog opened.
        Assert.Equal(1, await page.Locator("script").CountAsync());
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        tab.AssertHealthy();
    }

    [Fact]
    public async Task SigningOutClearsTheTokenFromTheTab()
    {
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;
        await tab.SignInAsync(StackHooksApp.AdminToken);
        await Expect(page.GetByText("Signed in as admin")).ToBeVisibleAsync();
        Assert.Equal(StackHooksApp.AdminToken, await tab.StoredTokenAsync());
        Assert.Empty(await page.EvaluateAsync<string[]>("() => Object.keys(localStorage)"));
        Assert.DoesNotContain(StackHooksApp.AdminToken, page.Url, StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to StackHooks" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Signed out.")).ToBeVisibleAsync();
        Assert.Null(await tab.StoredTokenAsync());
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeHiddenAsync();

        // Without a token every page asks to sign in again.
        await page.GotoAsync("/#/orgs/any");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to StackHooks" })).ToBeVisibleAsync();
        tab.AssertHealthy();
    }

    [Fact]
    public async Task TheTokenStaysInItsTabAndAWrongTokenIsRefused()
    {
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;
        await page.GotoAsync("/");
        await page.GetByLabel("Access token").FillAsync("pul-not-a-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByText("This access token is not valid on this server.")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Access token")).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Null(await tab.StoredTokenAsync());

        await tab.SignInAsync(StackHooksApp.AdminToken);
        var other = await page.Context.NewPageAsync();
        await other.GotoAsync("/");
        await Expect(other.GetByRole(AriaRole.Heading, new() { Name = "Sign in to StackHooks" })).ToBeVisibleAsync();
        tab.AssertHealthy();
    }
}
