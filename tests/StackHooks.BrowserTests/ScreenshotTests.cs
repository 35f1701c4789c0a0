using Microsoft.Playwright;
using StackHooks.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace StackHooks.BrowserTests;

/// <summary>
/// Takes the console's screenshots: sign-in, webhook list, create form, a webhook with a delivery's Request and Response
/// tabs, and the same at phone width. With STACKHOOKS_SCREENSHOTS=1 they are written to docs/console/ (the README shows
/// them); otherwise to a temporary folder, so that an ordinary test run leaves the repository alone.
/// </summary>
public sealed class ScreenshotTests(Chromium chromium, StackHooksApp app) : IClassFixture<StackHooksApp>, IAsyncLifetime
{
    private const string Org = "boba-shop";
    private JsonReceiver receiver = null!;

    public async ValueTask InitializeAsync()
    {
        receiver = await JsonReceiver.StartAsync();
        await app.CreateOrganizationAsync(Org);
        await app.CreateStackAsync(Org, "boba-tea", "production");
        await app.CreateStackAsync(Org, "boba-tea", "staging");
        await app.CreateEnvironmentAsync(Org, "boba-tea", "shared-config");
    }

    public async ValueTask DisposeAsync() => await receiver.DisposeAsync();

    private static string OutputDirectory()
    {
        if (Environment.GetEnvironmentVariable("STACKHOOKS_SCREENSHOTS") == "1")
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "StackHooks.slnx")))
            {
                directory = directory.Parent;
            }

            return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("The repository root was not found."), "docs", "console");
        }

        return Directory.CreateTempSubdirectory("stackhooks-screenshots-").FullName;
    }

    [Fact]
    public async Task TheMainScreensAreCaptured()
    {
        var output = OutputDirectory();
        Directory.CreateDirectory(output);
        await using var tab = await chromium.OpenAsync(app.BaseAddress, 1280, 860);
        var page = tab.Page;
        Task Shot(string name, bool fullPage = true) => page.ScreenshotAsync(new() { Path = Path.Combine(output, name), FullPage = fullPage });

        await page.GotoAsync("/");
        await Expect(page.GetByLabel("Access token")).ToBeVisibleAsync();
        await Shot("sign-in.png", fullPage: false);
        await tab.SignInAsync(StackHooksApp.AdminToken);

        // Two existing webhooks so the list has something to show.
        using (var admin = app.Admin())
        {
            await PostAsync(admin, $"/api/orgs/{Org}/hooks", new
            {
                organizationName = Org, displayName = "Release notifications (Slack)", payloadUrl = "https://hooks.slack.com/services/T000/B000/XXXX",
                format = "slack", active = true, groups = new[] { "stacks" },
            });
            await PostAsync(admin, $"/api/orgs/{Org}/hooks", new
            {
                organizationName = Org, displayName = "Audit log", payloadUrl = receiver.Url("/audit"), active = false,
                filters = new[] { "stack_created", "stack_deleted", "environment_created" },
            });
        }

        await page.GotoAsync($"/#/orgs/{Org}/new-webhook");
        await page.GetByLabel("Display Name").FillAsync("Boba shop deliveries");
        await page.GetByLabel("Payload URL").FillAsync(receiver.Url("/requestbin"));
        await page.GetByLabel("Selected events").CheckAsync();
        await page.GetByLabel("All stack events").CheckAsync();
        await page.GetByLabel("Deployment failed").CheckAsync();
        await page.GetByLabel("Mandatory policy violation").CheckAsync();
        await Shot("create-webhook.png");
        await page.GetByLabel("All events").CheckAsync();
        await page.GetByLabel("Payload URL").FillAsync("requestbin.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator("#hook-payloadUrl-error")).ToBeVisibleAsync();
        await Shot("create-webhook-error.png", fullPage: false);
        await page.GetByLabel("Payload URL").FillAsync(receiver.Url("/requestbin"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Ping", Exact = true })).ToBeVisibleAsync();
        var hookUrl = page.Url;

        await page.GetByRole(AriaRole.Button, new() { Name = "Ping", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Tabpanel)).ToContainTextAsync("friendly ping");
        await app.CreateStackAsync(Org, "boba-tea", "dev");
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Deliveries" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "Stack created" })).ToBeVisibleAsync();
        await page.Mouse.MoveAsync(0, 0);
        await Shot("webhook-request.png");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Response (200)" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Tabpanel)).ToContainTextAsync("success");
        await page.Locator("#deliveries-heading").ScrollIntoViewIfNeededAsync();
        await Shot("webhook-response.png");

        await page.GotoAsync($"/#/orgs/{Org}/hooks");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Boba shop deliveries" })).ToContainTextAsync("Succeeded");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Audit log" })).ToContainTextAsync("No deliveries yet");
        await Shot("webhook-list.png");

        await page.GotoAsync($"/#/orgs/{Org}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Stacks" })).ToBeVisibleAsync();
        await Shot("organization.png");

        await using var phone = await chromium.OpenAsync(app.BaseAddress, 390, 844);
        await phone.SignInAsync(StackHooksApp.AdminToken, new Uri(hookUrl).Fragment);
        await phone.Page.GetByRole(AriaRole.Button, new() { Name = "Ping", Exact = true }).ClickAsync();
        await Expect(phone.Page.GetByRole(AriaRole.Tabpanel)).ToContainTextAsync("friendly ping");
        await phone.Page.ScreenshotAsync(new() { Path = Path.Combine(output, "phone-webhook.png"), FullPage = true });
        await phone.Page.GotoAsync($"/#/orgs/{Org}/hooks");
        await Expect(phone.Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Boba shop deliveries" })).ToContainTextAsync("Succeeded");
        await phone.Page.ScreenshotAsync(new() { Path = Path.Combine(output, "phone-webhook-list.png"), FullPage = true });

        foreach (var name in new[] { "sign-in", "create-webhook", "create-webhook-error", "webhook-request", "webhook-response", "webhook-list", "organization", "phone-webhook", "phone-webhook-list" })
        {
            Assert.True(new FileInfo(Path.Combine(output, name + ".png")).Length > 10_000, $"{name}.png looks empty");
        }

        tab.AssertHealthy();
        phone.AssertHealthy();
        if (Environment.GetEnvironmentVariable("STACKHOOKS_SCREENSHOTS") != "1")
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task PostAsync(HttpClient client, string path, object body)
    {
        var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(client, path, body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
