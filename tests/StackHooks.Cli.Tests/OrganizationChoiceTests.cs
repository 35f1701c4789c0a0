using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackHooks.Cli.Tests.Support;

namespace StackHooks.Cli.Tests;

/// <summary>Which organization events go to when the caller belongs to several (its own server: it adds an organization).</summary>
public class OrganizationChoiceTests(ServerWithReceiver server) : IClassFixture<ServerWithReceiver>
{
    private static string NewStack() => "st-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task AUserOfSeveralOrganizationsMustChooseOneAndPulumiIsNotRun()
    {
        using var pulumi = new FakePulumi();
        var other = await server.App.CreateOrganizationAsync();
        using var member = await server.App.CreateUserAsync(server.Org);
        using var admin = server.App.Admin();
        var login = (await member.GetFromJsonAsync<JsonObject>("/api/user"))!["githubLogin"]!.GetValue<string>();
        (await admin.PutAsJsonAsync($"/api/orgs/{other}/members/{login}", new { role = "member" })).EnsureSuccessStatusCode();
        var token = member.DefaultRequestHeaders.Authorization!.Parameter!;

        var result = await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("up-succeeded", server.Url, token),
            "run", "--", "pulumi", "up", "--yes", "-s", NewStack());

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(server.Org, result.StandardError, StringComparison.Ordinal);
        Assert.Contains(other, result.StandardError, StringComparison.Ordinal);
        Assert.Contains("--org", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(pulumi.Calls());

        var chosen = await StackHooksCli.RunAsync(pulumi.ProjectDirectory, pulumi.Environment("up-succeeded", server.Url, token, server.Org),
            "run", "--", "pulumi", "up", "--yes", "-s", NewStack());
        Assert.True(chosen.ExitCode == 0, chosen.ToString());
        Assert.Contains($"recorded update_succeeded for shop/", chosen.StandardError, StringComparison.Ordinal);
    }
}
