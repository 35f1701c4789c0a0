using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using StackHooks.BrowserTests.Support;
using StackHooks.Events;
using static Microsoft.Playwright.Assertions;

namespace StackHooks.BrowserTests;

/// <summary>
/// Stack and environment webhooks through the console, deep links, the organization-admin rule, server validation shown
/// at its field, and the console's event catalogue agreeing with the server's.
/// </summary>
public sealed class ConsoleScopesTests(Chromium chromium, StackHooksApp app) : IClassFixture<StackHooksApp>
{
    [Fact]
    public async Task StackWebhooksAreReachableFromTheOrganizationAndOfferStackEventsAndDeployments()
    {
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "boba", "dev");
        await app.CreateStackAsync(org, "boba", "prod");
        await using var receiver = await JsonReceiver.StartAsync();
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;
        await tab.SignInAsync(StackHooksApp.AdminToken);

        await page.GetByRole(AriaRole.Link, new() { Name = org, Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "dev", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "boba/dev", Level = 1 })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Stack pages" }).GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Create webhook" }).ClickAsync();

        await Expect(page.GetByLabel("Destination type").Locator("option")).ToHaveTextAsync(["Webhook", "Slack", "Microsoft Teams", "Deployment"]);
        await page.GetByLabel("Selected events").CheckAsync();
        await Expect(page.GetByLabel("All environment events")).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("Stack created")).ToHaveCountAsync(0);
        await page.GetByLabel("Update succeeded").CheckAsync();
        await page.GetByLabel("All policy events").CheckAsync();
        await page.GetByLabel("Display Name").FillAsync("CI on dev");
        await page.GetByLabel("Payload URL").FillAsync(receiver.Url("/ci"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "CI on dev", Level = 1 })).ToBeVisibleAsync();
        var hookPath = SeedWalkthroughTests.HookPathFromUrl(page.Url);
        Assert.StartsWith($"/api/stacks/{org}/boba/dev/hooks/", hookPath, StringComparison.Ordinal);
        var hook = await app.GetJsonAsync(hookPath);
        Assert.Equal(["update_succeeded"], hook["filters"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal(["policies"], hook["groups"]!.AsArray().Select(f => f!.GetValue<string>()));

        // An update of the stack is delivered and appears in the list on its own.
        using (var admin = app.Admin())
        {
            (await admin.PostAsJsonAsync($"/api/stacks/{org}/boba/dev/events", new { @event = "update_succeeded" })).EnsureSuccessStatusCode();
        }

        var update = page.GetByRole(AriaRole.List, new() { Name = "Deliveries" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "Update succeeded" });
        await Expect(update).ToContainTextAsync("200");

        // A deployment webhook names a stack to deploy instead of a URL.
        await page.GetByLabel("Destination type").SelectOptionAsync("Deployment");
        await Expect(page.GetByLabel("Stack to deploy")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Secret", new() { Exact = true })).ToBeHiddenAsync();
        await page.GetByLabel("Stack to deploy").FillAsync("boba/prod");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved." })).ToBeVisibleAsync();
        hook = await app.GetJsonAsync(hookPath);
        Assert.Equal("pulumi_deployments", hook["format"]!.GetValue<string>());
        Assert.Equal("boba/prod", hook["payloadUrl"]!.GetValue<string>());
        tab.AssertHealthy();
    }

    [Fact]
    public async Task EnvironmentWebhooksAreReachableAndOfferEnvironmentEventsOnly()
    {
        var org = await app.CreateOrganizationAsync();
        await app.CreateEnvironmentAsync(org, "boba", "prod-config");
        await using var receiver = await JsonReceiver.StartAsync();
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;
        await tab.SignInAsync(StackHooksApp.AdminToken, $"#/orgs/{org}");

        await page.GetByRole(AriaRole.Link, new() { Name = "prod-config", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "boba/prod-config", Level = 1 })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Environment pages" }).GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Create webhook" }).ClickAsync();
        await page.GetByLabel("Selected events").CheckAsync();
        await Expect(page.GetByLabel("All stack events")).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("Environment created")).ToHaveCountAsync(0);
        await page.GetByLabel("Revision created").CheckAsync();
        await page.GetByLabel("Display Name").FillAsync("Config changes");
        await page.GetByLabel("Payload URL").FillAsync(receiver.Url("/env"));
        await page.GetByLabel("Secret", new() { Exact = true }).FillAsync("env-secret");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Config changes", Level = 1 })).ToBeVisibleAsync();
        var hookPath = SeedWalkthroughTests.HookPathFromUrl(page.Url);
        Assert.StartsWith($"/api/esc/environments/{org}/boba/prod-config/hooks/", hookPath, StringComparison.Ordinal);
        Assert.True((await app.GetJsonAsync(hookPath))["hasSecret"]!.GetValue<bool>());

        await page.GetByRole(AriaRole.Button, new() { Name = "Ping", Exact = true }).ClickAsync();
        var panel = page.GetByRole(AriaRole.Tabpanel);
        await Expect(panel).ToContainTextAsync("Pulumi-Webhook-Signature: ");
        await Expect(panel).ToContainTextAsync("Just a friendly ping from Pulumi");

        // The tabs work from the keyboard.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Request" }).FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        var response = page.GetByRole(AriaRole.Tab, new() { Name = "Response (200)" });
        await Expect(response).ToBeFocusedAsync();
        await Expect(response).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(panel).ToContainTextAsync("\"success\": true");

        // A deep link opens the same page in a new tab, after signing in.
        await using var second = await chromium.OpenAsync(app.BaseAddress);
        await second.SignInAsync(StackHooksApp.AdminToken, new Uri(page.Url).Fragment);
        await Expect(second.Page.GetByRole(AriaRole.Heading, new() { Name = "Config changes", Level = 1 })).ToBeVisibleAsync();
        await Expect(second.Page.GetByRole(AriaRole.List, new() { Name = "Deliveries" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "Ping" })).ToContainTextAsync("200");
        tab.AssertHealthy();
        second.AssertHealthy();
    }

    [Fact]
    public async Task AServerValidationErrorIsShownAtTheFieldItNames()
    {
        var org = await app.CreateOrganizationAsync();
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;
        await tab.SignInAsync(StackHooksApp.AdminToken, $"#/orgs/{org}/new-webhook");

        await page.GetByLabel("Display Name").FillAsync("Broken");
        await page.GetByLabel("Payload URL").FillAsync("not a url");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();

        var payloadUrl = page.GetByLabel("Payload URL");
        await Expect(payloadUrl).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(payloadUrl).ToBeFocusedAsync();
        await Expect(page.Locator("#hook-payloadUrl-error")).ToContainTextAsync("Field 'payloadUrl'");
        await Expect(payloadUrl).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("Field 'payloadUrl' must"));
        await Expect(page.Locator("#hook-displayName-error")).ToBeHiddenAsync();

        // A Slack webhook must use a Slack URL: the message, again, sits under Payload URL.
        await page.GetByLabel("Destination type").SelectOptionAsync("Slack");
        await payloadUrl.FillAsync("https://example.com/slack");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator("#hook-payloadUrl-error")).ToContainTextAsync("https://hooks.slack.com/");

        // Choosing "Selected events" but none is caught before sending (the server would read it as all events).
        await page.GetByLabel("Destination type").SelectOptionAsync("Webhook");
        await payloadUrl.FillAsync("https://example.com/hook");
        await page.GetByLabel("Selected events").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator("#hook-events-error")).ToContainTextAsync("Choose at least one event");
        await Expect(payloadUrl).Not.ToHaveAttributeAsync("aria-invalid", "true");
        using var admin = app.Admin();
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>($"/api/orgs/{org}/hooks"))!);
        tab.AssertHealthy();
    }

    [Fact]
    public async Task AMemberIsToldThatOrganizationWebhooksAreForAdminsAndCanUseStackWebhooks()
    {
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "boba", "dev");
        var member = await app.CreateUserTokenAsync(org, "member");
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;
        await tab.SignInAsync(member, $"#/orgs/{org}/hooks");

        await Expect(page.GetByText("Organization webhooks are for organization admins.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Create webhook" })).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Link, new() { Name = $"See the stacks and environments of {org}" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks of stack boba/dev" }).ClickAsync();
        await Expect(page.GetByText("No webhooks yet.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Create webhook" })).ToBeVisibleAsync();
        tab.AssertHealthy();
    }

    public static TheoryData<string, WebhookScopeKind> Scopes => new()
    {
        { "organization", WebhookScopeKind.Organization },
        { "stack", WebhookScopeKind.Stack },
        { "environment", WebhookScopeKind.Environment },
    };

    [Theory]
    [MemberData(nameof(Scopes))]
    public async Task EveryEventTheConsoleOffersForAScopeIsAcceptedByTheServer(string scope, WebhookScopeKind kind)
    {
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "p", "s");
        await app.CreateEnvironmentAsync(org, "p", "e");
        var (hash, api, body) = kind switch
        {
            WebhookScopeKind.Organization => ($"#/orgs/{org}/new-webhook", $"/api/orgs/{org}/hooks", new JsonObject()),
            WebhookScopeKind.Stack => ($"#/stacks/{org}/p/s/new-webhook", $"/api/stacks/{org}/p/s/hooks", new JsonObject()),
            _ => ($"#/environments/{org}/p/e/new-webhook", $"/api/esc/environments/{org}/p/e/hooks", new JsonObject()),
        };
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;
        await tab.SignInAsync(StackHooksApp.AdminToken, hash);
        await page.GetByLabel("Selected events").CheckAsync();

        // What the form offers is exactly what the events module lists for the scope…
        var offeredFilters = await page.EvaluateAsync<string[]>(
            "async (scope) => (await import('/js/events.js')).filtersFor(scope).map(f => f.name)", scope);
        var offeredGroups = await page.EvaluateAsync<string[]>(
            "async (scope) => (await import('/js/events.js')).groupsFor(scope).map(g => g.name)", scope);
        Assert.Equal(offeredFilters, await page.Locator("input[name=filters]").EvaluateAllAsync<string[]>("boxes => boxes.map(b => b.value)"));
        Assert.Equal(offeredGroups, await page.Locator("input[name=groups]").EvaluateAllAsync<string[]>("boxes => boxes.map(b => b.value)"));

        // …which is the server's catalogue for that scope…
        Assert.Equal(EventCatalogue.FiltersFor(kind).Select(f => f.Name), offeredFilters);
        Assert.Equal(EventCatalogue.GroupsFor(kind), offeredGroups);

        // …and the server accepts all of it, through the form and through the API.
        foreach (var filter in offeredFilters)
        {
            await page.Locator($"input[name=filters][value={filter}]").CheckAsync();
        }

        foreach (var group in offeredGroups)
        {
            await page.Locator($"input[name=groups][value={group}]").CheckAsync();
        }

        await page.GetByLabel("Display Name").FillAsync($"Everything for a {scope}");
        await page.GetByLabel("Payload URL").FillAsync("https://example.com/all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Everything for a {scope}", Level = 1 })).ToBeVisibleAsync();
        var created = await app.GetJsonAsync(SeedWalkthroughTests.HookPathFromUrl(page.Url));
        Assert.Equal(offeredGroups, created["groups"]!.AsArray().Select(g => g!.GetValue<string>()));

        body["organizationName"] = org;
        body["displayName"] = "every filter";
        body["payloadUrl"] = "https://example.com/all";
        body["active"] = true;
        body["filters"] = new JsonArray([.. offeredFilters.Select(f => JsonValue.Create(f))]);
        body["groups"] = new JsonArray([.. offeredGroups.Select(g => JsonValue.Create(g))]);
        using var admin = app.Admin();
        var response = await admin.PostAsJsonAsync(api, body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var saved = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(offeredFilters, saved!["filters"]!.AsArray().Select(f => f!.GetValue<string>()));
        tab.AssertHealthy();
    }
}
