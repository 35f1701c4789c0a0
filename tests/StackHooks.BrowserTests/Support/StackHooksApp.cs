using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace StackHooks.BrowserTests.Support;

/// <summary>
/// The real app on Kestrel (a real port on 127.0.0.1) over a fresh SQLite file in a temporary data directory, allowed to
/// deliver to loopback receivers. The same harness as tests/StackHooks.Tests, trimmed to what the console tests use.
/// </summary>
public sealed class StackHooksApp : WebApplicationFactory<Program>
{
    public const string AdminToken = "pul-0000000000000000000000000000000000test";

    public StackHooksApp()
    {
        DataDirectory = Directory.CreateTempSubdirectory("stackhooks-console-").FullName;
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

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("StackHooks:DataDirectory", DataDirectory);
        builder.UseSetting("STACKHOOKS_ADMIN_TOKEN", AdminToken);
        builder.UseSetting("StackHooks:Delivery:AllowPrivateNetworks", "true");
    }

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

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

    /// <summary>A new user with <paramref name="role"/> in <paramref name="org"/>; returns its access token.</summary>
    public async Task<string> CreateUserTokenAsync(string org, string role)
    {
        var login = "user-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = Admin();
        (await admin.PostAsJsonAsync("/api/users", new { githubLogin = login, name = login, email = $"{login}@example.com" })).EnsureSuccessStatusCode();
        var token = await (await admin.PostAsJsonAsync($"/api/users/{login}/tokens", new { description = "console test" })).Content.ReadFromJsonAsync<JsonObject>();
        (await admin.PutAsJsonAsync($"/api/orgs/{org}/members/{login}", new { role })).EnsureSuccessStatusCode();
        return token!["tokenValue"]!.GetValue<string>();
    }

    /// <summary>GET through the API as the site admin, as JSON.</summary>
    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var admin = Admin();
        var response = await admin.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
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
