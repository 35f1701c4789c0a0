using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace StackHooks.Tests.Support;

/// <summary>
/// The real app on Kestrel (a real port on 127.0.0.1) over a fresh SQLite file in a temporary data directory.
/// One per test class (<c>IClassFixture</c>); hands out clients authenticated as the site admin or as new users.
/// </summary>
public class StackHooksApp : WebApplicationFactory<Program>
{
    public const string AdminToken = "pul-0000000000000000000000000000000000test";

    private readonly Dictionary<string, string> settings = new(StringComparer.Ordinal);

    public StackHooksApp()
    {
        DataDirectory = Directory.CreateTempSubdirectory("stackhooks-test-").FullName;
        UseKestrel(0);
    }

    public string DataDirectory { get; }

    public Uri BaseAddress
    {
        get
        {
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
            return new Uri(addresses.Addresses.First());
        }
    }

    /// <summary>Extra configuration for the app; call before the first client is created.</summary>
    public StackHooksApp With(string key, string value)
    {
        settings[key] = value;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("StackHooks:DataDirectory", DataDirectory);
        builder.UseSetting("STACKHOOKS_ADMIN_TOKEN", AdminToken);
        builder.UseSetting("StackHooks:Delivery:AllowPrivateNetworks", "true");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A client with no credentials, talking to the real server.</summary>
    public HttpClient Anonymous()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.pulumi+8"));
        return client;
    }

    public HttpClient WithToken(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
        return client;
    }

    public HttpClient Admin() => WithToken(AdminToken);

    /// <summary>Creates an organization owned by the site admin, and returns its name.</summary>
    public async Task<string> CreateOrganizationAsync(string? name = null)
    {
        name ??= "org-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = Admin();
        (await admin.PostAsJsonAsync("/api/orgs", new { name })).EnsureSuccessStatusCode();
        return name;
    }

    public async Task CreateStackAsync(string org, string project, string stack)
    {
        using var admin = Admin();
        (await admin.PostAsJsonAsync($"/api/stacks/{org}/{project}", new { stackName = stack })).EnsureSuccessStatusCode();
    }

    public async Task CreateEnvironmentAsync(string org, string project, string env)
    {
        using var admin = Admin();
        (await admin.PostAsJsonAsync($"/api/esc/environments/{org}", new { project, name = env })).EnsureSuccessStatusCode();
    }

    /// <summary>A new user, optionally made a member of <paramref name="org"/> with <paramref name="role"/>; returns a client with its token.</summary>
    public async Task<HttpClient> CreateUserAsync(string? org = null, string role = "member")
    {
        var login = "user-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = Admin();
        (await admin.PostAsJsonAsync("/api/users", new { githubLogin = login, name = login, email = $"{login}@example.com" })).EnsureSuccessStatusCode();
        var token = await (await admin.PostAsJsonAsync($"/api/users/{login}/tokens", new { description = "test" })).Content.ReadFromJsonAsync<JsonObject>();
        if (org is not null)
        {
            (await admin.PutAsJsonAsync($"/api/orgs/{org}/members/{login}", new { role })).EnsureSuccessStatusCode();
        }

        return WithToken(token!["tokenValue"]!.GetValue<string>());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // a file still open by a finishing background task; the temp folder is cleaned by the OS
            }
        }
    }
}
