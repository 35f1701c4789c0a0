using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackHooks.Tests.Support;

namespace StackHooks.Cli.Tests.Support;

/// <summary>
/// A real StackHooks server (in-process on Kestrel, fresh SQLite) with one organization whose raw organization webhook
/// points at a real <see cref="WebhookReceiver"/>: every event of the organization arrives there. One per test class.
/// </summary>
public sealed class ServerWithReceiver : IAsyncLifetime
{
    public StackHooksApp App { get; } = new();

    public WebhookReceiver Receiver { get; private set; } = null!;

    public string Org { get; private set; } = "";

    public Uri Url => App.BaseAddress;

    public static string Token => StackHooksApp.AdminToken;

    public async ValueTask InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        Org = await App.CreateOrganizationAsync();
        using var admin = App.Admin();
        var created = await admin.PostAsJsonAsync($"/api/orgs/{Org}/hooks", new
        {
            organizationName = Org,
            displayName = "everything",
            payloadUrl = Receiver.Url.ToString(),
            active = true,
        });
        await created.AssertJsonAsync(HttpStatusCode.Created);
    }

    /// <summary>The stack as the server knows it (its version counts the updates recorded), or null when it does not exist.</summary>
    public async Task<JsonObject?> GetStackAsync(string project, string stack)
    {
        using var admin = App.Admin();
        var response = await admin.GetAsync($"/api/stacks/{Org}/{project}/{stack}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.AssertJsonAsync(HttpStatusCode.OK);
    }

    public async ValueTask DisposeAsync()
    {
        await Receiver.DisposeAsync();
        await App.DisposeAsync();
    }
}
