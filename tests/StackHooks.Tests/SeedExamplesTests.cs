using System.Net;
using System.Net.Http.Json;
using System.Text;
using StackHooks.Tests.Support;

namespace StackHooks.Tests;

/// <summary>Every curl example of the REST seed (004_…), with only the host changed.</summary>
public sealed class SeedExamplesTests(StackHooksApp app) : IClassFixture<StackHooksApp>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task TheSeedsCurlExamplesWorkAgainstStackHooks()
    {
        await app.CreateOrganizationAsync("myorg");
        await app.CreateStackAsync("myorg", "myproject", "production");
        using var client = app.Admin();

        var org = await (await client.PostAsync("/api/orgs/myorg/hooks",
            Json("""{"active": true, "displayName": "My Webhook", "organizationName": "myorg", "payloadUrl": "https://example.com/webhook"}""")))
            .AssertJsonAsync(HttpStatusCode.Created);
        var orgHook = org["name"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{8}$", orgHook);
        Assert.Equal("raw", org["format"]!.GetValue<string>());
        Assert.False(org["hasSecret"]!.GetValue<bool>());

        var stack = await (await client.PostAsync("/api/stacks/myorg/myproject/production/hooks",
            Json("""{"active": true, "displayName": "Stack Webhook", "organizationName": "myorg", "projectName": "myproject", "stackName": "production", "payloadUrl": "https://example.com/webhook"}""")))
            .AssertJsonAsync(HttpStatusCode.Created);
        var stackHook = stack["name"]!.GetValue<string>();
        Assert.Equal("production", stack["stackName"]!.GetValue<string>());

        var orgList = await (await client.GetAsync("/api/orgs/myorg/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Single(orgList);
        var stackList = await (await client.GetAsync("/api/stacks/myorg/myproject/production/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK);
        Assert.Single(stackList);

        var got = await (await client.GetAsync($"/api/orgs/myorg/hooks/{orgHook}")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal("My Webhook", got["displayName"]!.GetValue<string>());
        await (await client.GetAsync($"/api/stacks/myorg/myproject/production/hooks/{stackHook}")).AssertJsonAsync(HttpStatusCode.OK);

        var updated = await (await client.PatchAsync($"/api/orgs/myorg/hooks/{orgHook}",
            Json("""{"active": false, "displayName": "Updated Webhook Name"}"""))).AssertJsonAsync(HttpStatusCode.OK);
        Assert.False(updated["active"]!.GetValue<bool>());
        Assert.Equal("Updated Webhook Name", updated["displayName"]!.GetValue<string>());
        Assert.Equal("https://example.com/webhook", updated["payloadUrl"]!.GetValue<string>());

        var deleteOrg = await client.DeleteAsync($"/api/orgs/myorg/hooks/{orgHook}");
        Assert.Equal(HttpStatusCode.NoContent, deleteOrg.StatusCode);
        Assert.Empty(await deleteOrg.Content.ReadAsByteArrayAsync());

        // The seed's stack DELETE example has no "stacks/" segment.
        var deleteStack = await client.DeleteAsync($"/api/myorg/myproject/production/hooks/{stackHook}");
        Assert.Equal(HttpStatusCode.NoContent, deleteStack.StatusCode);
        Assert.Empty(await (await client.GetAsync("/api/stacks/myorg/myproject/production/hooks")).AssertJsonArrayAsync(HttpStatusCode.OK));
        await (await client.GetAsync($"/api/orgs/myorg/hooks/{orgHook}")).AssertErrorAsync(HttpStatusCode.NotFound);
    }
}
