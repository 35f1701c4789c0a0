using System.Text.Json.Nodes;
using Microsoft.Playwright;
using StackHooks.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace StackHooks.BrowserTests;

/// <summary>
/// The seed "Working with Webhooks" (seeds/000), step by step in the console, against the real app on Kestrel and a real
/// receiver on loopback: sign in, Settings → Integrations → Webhooks, Create webhook, Ping, the Request and Response tabs,
/// change the data and Save, deactivate, redeliver, delete.
/// </summary>
public sealed class SeedWalkthroughTests(Chromium chromium, StackHooksApp app) : IClassFixture<StackHooksApp>, IAsyncLifetime
{
    private const string Org = "boba-shop";
    private JsonReceiver receiver = null!;

    public async ValueTask InitializeAsync()
    {
        receiver = await JsonReceiver.StartAsync();
        await app.CreateOrganizationAsync(Org);
    }

    public async ValueTask DisposeAsync() => await receiver.DisposeAsync();

    [Fact]
    public async Task APersonManagesAnOrganizationWebhookAsTheSeedWalksThrough()
    {
        await using var tab = await chromium.OpenAsync(app.BaseAddress);
        var page = tab.Page;

        // Sign in by pasting an access token.
        await tab.SignInAsync(StackHooksApp.AdminToken);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Organizations" })).ToBeVisibleAsync();
        Assert.DoesNotContain(StackHooksApp.AdminToken, page.Url, StringComparison.Ordinal);

        // "From your stack or organization page, select Settings. Webhooks are under the Integrations section."
        await page.GetByRole(AriaRole.Link, new() { Name = Org, Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = Org, Level = 1 })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Organization pages" }).GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Integrations" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks", Exact = true }).ClickAsync();
        await Expect(page.GetByText("No webhooks yet.")).ToBeVisibleAsync();

        // "Next, select Create webhook": a display name, a payload URL and an optional secret; the button is inactive until filled.
        await page.GetByRole(AriaRole.Link, new() { Name = "Create webhook" }).ClickAsync();
        var create = page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" });
        await Expect(create).ToBeDisabledAsync();
        await Expect(page.GetByLabel("Destination type")).ToHaveValueAsync("raw");
        await page.GetByLabel("Display Name").FillAsync("Boba shop notifications");
        await page.GetByLabel("Payload URL").FillAsync(receiver.Url("/bin"));
        await Expect(create).ToBeEnabledAsync();
        await create.ClickAsync();

        // "When you select Create webhook, you'll find a new section called Deliveries" — the form, now with Active and Save.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boba shop notifications", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Active", new() { Exact = true })).ToBeCheckedAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Deliveries" })).ToBeVisibleAsync();
        await Expect(page.GetByText("No deliveries yet — use Ping to send a test.")).ToBeVisibleAsync();
        var hookPath = HookPathFromUrl(page.Url);
        Assert.Equal("Boba shop notifications", (await app.GetJsonAsync(hookPath))["displayName"]!.GetValue<string>());

        // "Select Ping, and you should get a delivery": id, timestamp, kind Ping, headers and the JSON payload on the Request tab.
        await page.GetByRole(AriaRole.Button, new() { Name = "Ping", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Ping sent: succeeded (200)." })).ToBeVisibleAsync();
        var ping = Assert.Single((await app.GetJsonAsync($"{hookPath}/deliveries")).AsArray())!;
        var pingId = ping["id"]!.GetValue<string>();
        var delivery = page.GetByRole(AriaRole.List, new() { Name = "Deliveries" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = pingId });
        await Expect(delivery).ToContainTextAsync("Ping");
        await Expect(delivery).ToContainTextAsync("200");
        await Expect(delivery.Locator(".delivery-summary time")).ToBeVisibleAsync();
        await Expect(delivery.GetByRole(AriaRole.Tab, new() { Name = "Request" })).ToHaveAttributeAsync("aria-selected", "true");
        var panel = delivery.GetByRole(AriaRole.Tabpanel);
        await Expect(panel).ToContainTextAsync($"Pulumi-Webhook-Id: {pingId}");
        await Expect(panel).ToContainTextAsync("Pulumi-Webhook-Kind: ping");
        await Expect(panel).ToContainTextAsync("Content-Type: application/json");
        await Expect(panel).ToContainTextAsync("\"message\": \"🍹 Just a friendly ping from Pulumi 🍹\"");
        await Expect(panel).ToContainTextAsync(receiver.Url("/bin"));
        Assert.Single(receiver.On("/bin"));

        // "Select the Response tab to find the actual headers and body" of the receiver's answer.
        await delivery.GetByRole(AriaRole.Tab, new() { Name = "Response (200)" }).ClickAsync();
        await Expect(panel).ToContainTextAsync("Content-Type: application/json");
        await Expect(panel).ToContainTextAsync("\"success\": true");

        // "Change the webhook data": a more descriptive name and a new secret, then Save.
        await page.GetByLabel("Display Name").FillAsync("Boba shop — all events");
        await page.GetByLabel("Secret", new() { Exact = true }).FillAsync("boba-s3cret");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved." })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boba shop — all events", Level = 1 })).ToBeVisibleAsync();
        var saved = await app.GetJsonAsync(hookPath);
        Assert.Equal("Boba shop — all events", saved["displayName"]!.GetValue<string>());
        Assert.True(saved["hasSecret"]!.GetValue<bool>());
        Assert.True(saved["active"]!.GetValue<bool>());

        // New deliveries appear without reloading: an event of the organization (a new stack) is delivered, signed.
        await app.CreateStackAsync(Org, "shop", "dev");
        var created = page.GetByRole(AriaRole.List, new() { Name = "Deliveries" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "Stack created" });
        await Expect(created).ToBeVisibleAsync();
        await Expect(created).ToContainTextAsync("200");
        await created.GetByRole(AriaRole.Button).First.ClickAsync();
        await Expect(created.GetByRole(AriaRole.Tabpanel)).ToContainTextAsync("Pulumi-Webhook-Signature: ");
        await Expect(created.GetByRole(AriaRole.Tabpanel)).ToContainTextAsync("\"action\": \"created\"");

        // "Redeliver" sends the ping again, with the same delivery id.
        await delivery.GetByRole(AriaRole.Button, new() { Name = "Redeliver" }).ClickAsync();
        await Expect(delivery.GetByRole(AriaRole.Status)).ToContainTextAsync("Redelivered: succeeded (200).");
        await Expect(delivery).ToContainTextAsync("Attempts2");
        Assert.Equal([pingId, pingId], receiver.On("/bin").Where(r => r.Header("Pulumi-Webhook-Kind") == "ping").Select(r => r.Header("Pulumi-Webhook-Id")));
        await delivery.GetByText("Attempt history (2)").ClickAsync();
        await Expect(delivery.GetByRole(AriaRole.Table)).ToContainTextAsync("2");

        // "Deactivate the webhook": untick Active next to the Display Name, then Save.
        await page.GetByLabel("Active", new() { Exact = true }).UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "The webhook is inactive" })).ToBeVisibleAsync();
        Assert.False((await app.GetJsonAsync(hookPath))["active"]!.GetValue<bool>());
        await Expect(page.Locator(".hook-facts")).ToContainTextAsync("Inactive");

        // Reactivate the same way; remove the secret; narrow the events to a group and one event.
        await page.GetByLabel("Active", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Remove secret").CheckAsync();
        await Expect(page.GetByLabel("Secret", new() { Exact = true })).ToBeDisabledAsync();
        await page.GetByLabel("Selected events").CheckAsync();
        await page.GetByLabel("All deployment events").CheckAsync();
        await Expect(page.GetByLabel("Drift detected")).ToBeDisabledAsync();
        await page.GetByLabel("Stack deleted").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved." })).ToBeVisibleAsync();
        var narrowed = await app.GetJsonAsync(hookPath);
        Assert.True(narrowed["active"]!.GetValue<bool>());
        Assert.False(narrowed["hasSecret"]!.GetValue<bool>());
        Assert.Equal(["deployments"], narrowed["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal(["stack_deleted"], narrowed["filters"]!.AsArray().Select(g => g!.GetValue<string>()));

        // The list shows the webhook with its destination type, state and latest delivery.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Breadcrumb" }).GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Boba shop — all events" });
        await Expect(row).ToContainTextAsync("Webhook");
        await Expect(row).ToContainTextAsync("Active");
        await Expect(row).ToContainTextAsync("Succeeded");
        await Expect(row).ToContainTextAsync("Deployments (all), Stack deleted");

        // Delete, with a confirmation.
        await row.GetByRole(AriaRole.Link, new() { Name = "Boba shop — all events" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Delete this webhook?" });
        await Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete webhook" }).ClickAsync();
        await Expect(page.GetByText("Webhook “Boba shop — all events” deleted.")).ToBeVisibleAsync();
        await Expect(page.GetByText("No webhooks yet.")).ToBeVisibleAsync();
        using var admin = app.Admin();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await admin.GetAsync(hookPath)).StatusCode);

        Assert.DoesNotContain(StackHooksApp.AdminToken, page.Url, StringComparison.Ordinal);
        tab.AssertHealthy();
    }

    /// <summary>The API path of the webhook whose console page is open: #/orgs/ORG/hooks/NAME → /api/orgs/ORG/hooks/NAME.</summary>
    internal static string HookPathFromUrl(string url)
    {
        var hash = new Uri(url).Fragment;
        var parts = hash.TrimStart('#', '/').Split('/');
        return parts[0] switch
        {
            "orgs" => $"/api/orgs/{parts[1]}/hooks/{parts[3]}",
            "stacks" => $"/api/stacks/{parts[1]}/{parts[2]}/{parts[3]}/hooks/{parts[5]}",
            _ => $"/api/esc/environments/{parts[1]}/{parts[2]}/{parts[3]}/hooks/{parts[5]}",
        };
    }
}
