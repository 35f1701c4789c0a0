using System.Net;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>SPEC §4: which webhooks receive an event — scope, filters, groups (their union), active.</summary>
public sealed class EventMatchingTests(StackHooksApp app) : IClassFixture<StackHooksApp>
{
    [Fact]
    public async Task EachEventReachesExactlyTheActiveHooksWhoseScopeFiltersAndGroupsWantIt()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        var other = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "s1");
        await app.CreateStackAsync(org, "proj", "s2");
        await app.CreateEnvironmentAsync(org, "proj", "e1");
        await app.CreateEnvironmentAsync(org, "proj", "e2");
        var orgPlace = HookPlace.OfOrganization(org);
        var s1 = HookPlace.OfStack(org, "proj", "s1");
        var e1 = HookPlace.OfEnvironment(org, "proj", "e1");

        var hooks = new Dictionary<string, string>
        {
            ["org-all"] = await client.CreateHookAsync(orgPlace, receiver.Url("/org-all")),
            ["org-filters"] = await client.CreateHookAsync(orgPlace, receiver.Url("/org-filters"), filters: ["update_succeeded", "environment_tag_created"]),
            ["org-groups"] = await client.CreateHookAsync(orgPlace, receiver.Url("/org-groups"), groups: ["deployments", "environments"]),
            ["org-union"] = await client.CreateHookAsync(orgPlace, receiver.Url("/org-union"), filters: ["update_failed"], groups: ["policies"]),
            ["org-inactive"] = await client.CreateHookAsync(orgPlace, receiver.Url("/org-inactive"), active: false),
            ["stack-all"] = await client.CreateHookAsync(s1, receiver.Url("/stack-all")),
            ["stack-union"] = await client.CreateHookAsync(s1, receiver.Url("/stack-union"), filters: ["preview_succeeded"], groups: ["deployments"]),
            ["stack-inactive"] = await client.CreateHookAsync(s1, receiver.Url("/stack-inactive"), active: false),
            ["env-all"] = await client.CreateHookAsync(e1, receiver.Url("/env-all")),
            ["env-filters"] = await client.CreateHookAsync(e1, receiver.Url("/env-filters"), filters: ["environment_tag_created"]),
            ["other-org"] = await client.CreateHookAsync(HookPlace.OfOrganization(other), receiver.Url("/other-org")),
        };
        var expected = hooks.Keys.ToDictionary(k => k, _ => new List<string>());
        var total = 0;

        void Expect(string eventName, params string[] receivers)
        {
            foreach (var name in receivers)
            {
                expected[name].Add(eventName);
            }

            total += receivers.Length;
        }

        async Task StackEventAsync(string stack, string eventName, params string[] receivers)
        {
            var recorded = await client.PostEventAsync(StackEvents(org, "proj", stack), Event(eventName));
            Assert.True(receivers.Length == recorded.AsInt("deliveries"), $"{eventName} on {stack}: {recorded.ToJsonString()}, expected {string.Join(", ", receivers)}");
            Expect(eventName, receivers);
        }

        async Task EnvironmentEventAsync(string env, string eventName, params string[] receivers)
        {
            var recorded = await client.PostEventAsync(EnvironmentEvents(org, "proj", env), Event(eventName, new { tagName = "t", revision = 1 }));
            Assert.True(receivers.Length == recorded.AsInt("deliveries"), $"{eventName} on {env}: {recorded.ToJsonString()}, expected {string.Join(", ", receivers)}");
            Expect(eventName, receivers);
        }

        await StackEventAsync("s1", "update_succeeded", "org-all", "org-filters", "stack-all");
        await StackEventAsync("s1", "update_failed", "org-all", "org-union", "stack-all");
        await StackEventAsync("s1", "preview_succeeded", "org-all", "stack-all", "stack-union");
        await StackEventAsync("s1", "preview_failed", "org-all", "stack-all");
        await StackEventAsync("s1", "deployment_started", "org-all", "org-groups", "stack-all", "stack-union");
        await StackEventAsync("s1", "drift_detected", "org-all", "org-groups", "stack-all", "stack-union");
        await StackEventAsync("s1", "policy_violation_advisory", "org-all", "org-union", "stack-all");
        await StackEventAsync("s2", "update_succeeded", "org-all", "org-filters");
        await StackEventAsync("s2", "refresh_failed", "org-all");
        await StackEventAsync("s2", "drift_remediation_failed", "org-all", "org-groups");
        await EnvironmentEventAsync("e1", "environment_revision_created", "org-all", "org-groups", "env-all");
        await EnvironmentEventAsync("e1", "environment_tag_created", "org-all", "org-filters", "org-groups", "env-all", "env-filters");
        await EnvironmentEventAsync("e1", "environment_tag_deleted", "org-all", "org-groups", "env-all");
        await EnvironmentEventAsync("e2", "environment_tag_created", "org-all", "org-filters", "org-groups");
        await EnvironmentEventAsync("e1", "imported_environment_changed", "org-all", "org-groups", "env-all");

        // Registry events go to organization hooks only, by their filters and groups.
        await app.CreateStackAsync(org, "proj", "s3");
        Expect("stack_created", "org-all");
        await app.CreateEnvironmentAsync(org, "proj", "e3");
        Expect("environment_created", "org-all", "org-groups");
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/stacks/{org}/proj/s2")).StatusCode);
        Expect("stack_deleted", "org-all");
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/esc/environments/{org}/proj/e2")).StatusCode);
        Expect("environment_deleted", "org-all", "org-groups");

        // The other organization's hook sees its own organization's events and nothing of the first one's.
        await app.CreateStackAsync(other, "proj", "s1");
        Expect("stack_created", "other-org");
        var recordedElsewhere = await client.PostEventAsync(StackEvents(other, "proj", "s1"), Event("update_succeeded"));
        Assert.Equal(1, recordedElsewhere.AsInt("deliveries"));
        Expect("update_succeeded", "other-org");

        // The deliveries API holds exactly the expected deliveries per hook (they are created with the event) …
        foreach (var (name, path) in hooks)
        {
            var deliveries = await client.ListDeliveriesAsync(path, "?limit=1000");
            Assert.True(
                expected[name].Order().SequenceEqual(deliveries.Select(d => d!.AsText("event")).Order()),
                $"{name}: expected [{string.Join(", ", expected[name].Order())}], got [{string.Join(", ", deliveries.Select(d => d!.AsText("event")).Order())}]");
        }

        // … and the receiver gets exactly those, each hook's at its own URL.
        var arrived = await receiver.WaitForCountAsync(total, Patience);
        foreach (var (name, path) in hooks)
        {
            var ids = (await client.ListDeliveriesAsync(path, "?limit=1000")).Select(d => d!.AsText("id")).Order().ToList();
            Assert.Equal(ids, arrived.Where(r => r.Path == "/" + name).Select(r => r.WebhookId!).Order().ToList());
        }

        Assert.Equal(total, receiver.Requests.Count);
    }

    [Fact]
    public async Task AHookMadeThroughTheLegacyEnvironmentPathGetsTheEventsOfThatEnvironmentInProjectDefault()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateEnvironmentAsync(org, "default", "legacy");
        await app.CreateEnvironmentAsync(org, "other", "legacy");
        var hook = await client.CreateHookAsync(new HookPlace(org, $"/api/preview/environments/{org}/legacy/hooks", Env: "legacy"), receiver.Url("/legacy"));

        Assert.Equal(0, (await client.PostEventAsync(EnvironmentEvents(org, "other", "legacy"), Event("environment_tag_created", new { tagName = "a" }))).AsInt("deliveries"));
        Assert.Equal(1, (await client.PostEventAsync(EnvironmentEvents(org, "default", "legacy"), Event("environment_tag_created", new { tagName = "b" }))).AsInt("deliveries"));

        var request = await receiver.WaitForAsync(r => r.Path == "/legacy", Patience);
        Assert.Equal("b", request.Json.AsText("tagName"));
        Assert.Equal("default", request.Json.AsText("projectName"));
        Assert.Equal("legacy", request.Json.AsText("environmentName"));
        var listed = Assert.Single(await client.ListDeliveriesAsync(hook));
        Assert.Equal(request.WebhookId, listed!.AsText("id"));
        Assert.Single(await client.ListDeliveriesAsync($"/api/esc/environments/{org}/default/legacy/hooks/{hook[(hook.LastIndexOf('/') + 1)..]}"));
    }

    [Fact]
    public async Task DeactivatingAHookStopsItsDeliveriesAndReactivatingResumesThem()
    {
        await using var receiver = await Receiver.StartAsync();
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var hook = await client.CreateHookAsync(HookPlace.OfStack(org, "proj", "dev"), receiver.Url("/toggle"));
        var events = StackEvents(org, "proj", "dev");

        Assert.Equal(1, (await client.PostEventAsync(events, Event("update_succeeded"))).AsInt("deliveries"));
        (await client.PatchAsync(hook, Json("""{"active": false}"""))).EnsureSuccessStatusCode();
        Assert.Equal(0, (await client.PostEventAsync(events, Event("update_failed"))).AsInt("deliveries"));
        (await client.PatchAsync(hook, Json("""{"active": true}"""))).EnsureSuccessStatusCode();
        Assert.Equal(1, (await client.PostEventAsync(events, Event("destroy_succeeded"))).AsInt("deliveries"));

        var arrived = await receiver.WaitForCountAsync(2, Patience);
        Assert.Equal(["update_succeeded", "destroy_succeeded"],
            (await client.ListDeliveriesAsync(hook)).Select(d => d!.AsText("event")).Reverse().ToArray());
        Assert.Equal(["destroy", "update"], arrived.Select(r => r.Json.AsText("kind")).Order().ToArray());
    }
}
