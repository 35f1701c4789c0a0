using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StackHooks.Events;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>What a receiver gets (SPEC §5 headers and signature, §6.1 payloads), checked on a real receiver.</summary>
public sealed class DeliveryRequestTests(StackHooksApp app) : IClassFixture<StackHooksApp>
{
    private const string Secret = "s3cr3t-with-ünïcode-🔑";

    [Fact]
    public async Task DeliveriesCarryThePulumiHeadersAndAnHmacOfTheExactBodyBytes()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/signed", ReceiverResponse.WithHeader(200, "X-Receiver", "yes", "thanks"));
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        using var client = app.Admin();
        var signed = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/signed"), secret: Secret);
        var unsigned = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/unsigned"));

        // A field with non-ASCII text, so "the exact bytes" and "UTF-8" matter.
        await client.PostEventAsync(StackEvents(org, "proj", "dev"),
            Event("policy_violation_advisory", new { message = "Bucket «b» is public 🚨", policyPack = "pack", policyName = "p" }));
        var signedRequest = await receiver.WaitForAsync(r => r.Path == "/signed", Patience);
        var unsignedRequest = await receiver.WaitForAsync(r => r.Path == "/unsigned", Patience);

        foreach (var request in new[] { signedRequest, unsignedRequest })
        {
            Assert.Equal("POST", request.Method);
            Assert.Equal("application/json", MediaTypeHeaderValue.Parse(request.Header("Content-Type")!).MediaType);
            Assert.Equal("*/*", request.Header("Accept"));
            Assert.Matches(@"^StackHooks/\S+$", request.Header("User-Agent"));
            Assert.Equal("policy_violation", request.WebhookKind);
            Assert.True(Guid.TryParseExact(request.WebhookId, "D", out _), $"Pulumi-Webhook-Id '{request.WebhookId}' is not a UUID");
            Assert.Null(request.Header("traceparent"));
            Assert.Null(request.Header("tracestate"));
            Assert.Null(request.Header("Request-Id"));
            Assert.Equal("Bucket «b» is public 🚨", request.Json.AsText("message"));
        }

        Assert.NotEqual(signedRequest.WebhookId, unsignedRequest.WebhookId);
        Assert.Null(unsignedRequest.Header("Pulumi-Webhook-Signature"));
        var signature = signedRequest.Header("Pulumi-Webhook-Signature");
        Assert.Matches("^[0-9a-f]{64}$", signature);
        Assert.Equal(Hmac(Secret, signedRequest.Body), signature);

        // The record of the delivery: its id is the header, its payload is the body sent, and both header blocks are recorded.
        var delivery = await client.WaitForDeliveryAsync(signed, signedRequest.WebhookId!, d => d.AsText("status") == "succeeded");
        Assert.Equal(signedRequest.WebhookId, delivery.AsText("id"));
        Assert.Equal("policy_violation", delivery.AsText("kind"));
        Assert.Equal("policy_violation_advisory", delivery.AsText("event"));
        Assert.Equal(signedRequest.BodyText, delivery.AsText("payload"));
        Assert.Equal(receiver.Url("/signed"), delivery.AsText("requestUrl"));
        Assert.Equal(200, delivery.AsInt("responseCode"));
        Assert.Equal("thanks", delivery.AsText("responseBody"));
        Assert.Equal(1, delivery.AsInt("attempts"));
        Assert.Null(delivery["nextAttemptAt"]);
        Assert.Null(delivery["error"]);
        var requestHeaders = delivery.AsText("requestHeaders");
        Assert.EndsWith("\r\n", requestHeaders, StringComparison.Ordinal);
        var sent = ParseHeaderLines(requestHeaders);
        Assert.Equal(signedRequest.WebhookId, sent["Pulumi-Webhook-Id"]);
        Assert.Equal("policy_violation", sent["Pulumi-Webhook-Kind"]);
        Assert.Equal(signature, sent["Pulumi-Webhook-Signature"]);
        Assert.Equal("yes", ParseHeaderLines(delivery.AsText("responseHeaders"))["X-Receiver"]);
        Assert.Equal(signedRequest.WebhookId, await client.SingleDeliveryIdAsync(signed));
        Assert.Equal(unsignedRequest.WebhookId, await client.SingleDeliveryIdAsync(unsigned));
    }

    /// <summary>
    /// RawPayload promises payload JSON "as UTF-8 as it is (emoji included), not \u-escaped", as Pulumi Cloud sends it: the
    /// ping's 🍹 must arrive as its four UTF-8 bytes, and the signature covers exactly those bytes.
    /// </summary>
    [Fact]
    public async Task APingIsSignedOverItsUtf8BytesWithTheEmojiUnescaped()
    {
        await using var receiver = await Receiver.StartAsync();
        var org = await app.CreateOrganizationAsync();
        using var client = app.Admin();
        var hook = await client.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/ping"), secret: Secret);

        var ping = await (await client.PostAsync($"{hook}/ping", null)).AssertJsonAsync(HttpStatusCode.OK);
        var request = await receiver.WaitForAsync(r => r.Path == "/ping", Patience);

        Assert.Equal("ping", request.WebhookKind);
        Assert.Equal(ping.AsText("id"), request.WebhookId);
        Assert.Equal(Hmac(Secret, request.Body), request.Header("Pulumi-Webhook-Signature"));
        Assert.Equal("🍹 Just a friendly ping from Pulumi 🍹", request.Json.AsText("message"));
        Assert.True(request.Body.AsSpan().IndexOf("🍹 Just a friendly ping from Pulumi 🍹"u8) >= 0, $"The emoji arrived escaped: {request.BodyText}");
    }

    [Fact]
    public async Task EveryEventOfTheCatalogueArrivesWithTheFieldsOfItsKind()
    {
        await using var receiver = await Receiver.StartAsync();
        var org = await app.CreateOrganizationAsync();
        using var admin = app.Admin();
        var hook = await admin.CreateHookAsync(HookPlace.OfOrganization(org), receiver.Url("/all"));
        using var member = await app.CreateUserAsync(org);
        var me = await (await member.GetAsync("/api/user")).AssertJsonAsync(HttpStatusCode.OK);
        var baseUrl = app.BaseAddress.ToString().TrimEnd('/');
        var stackUrl = $"{baseUrl}/{org}/proj/dev";
        var seen = new List<(string Event, RecordedRequest Request)>();
        var lastEventId = "";

        async Task<JsonObject> ExpectAsync(string eventName, string kind)
        {
            var requests = await receiver.WaitForCountAsync(seen.Count + 1, Patience);
            Assert.Equal(seen.Count + 1, requests.Count);
            var request = requests[^1];
            seen.Add((eventName, request));
            Assert.True(kind == request.WebhookKind, $"{eventName}: Pulumi-Webhook-Kind {request.WebhookKind}, expected {kind}");
            var payload = request.Json;
            Assert.Equal(org, payload["organization"]!.AsText("name"));
            Assert.Equal(org, payload["organization"]!.AsText("githubLogin"));
            Assert.NotNull(payload["organization"]!["avatarUrl"]!.GetValue<string>());
            Assert.Equal(me.AsText("name"), payload["user"]!.AsText("name"));
            Assert.Equal(me.AsText("githubLogin"), payload["user"]!.AsText("githubLogin"));
            Assert.NotNull(payload["user"]!["avatarUrl"]!.GetValue<string>());
            Assert.Equal("proj", payload.AsText("projectName"));
            return payload;
        }

        async Task<JsonObject> StackEventAsync(string eventName, string kind, object? fields = null)
        {
            var recorded = await member.PostEventAsync(StackEvents(org, "proj", "dev"), Event(eventName, fields));
            Assert.Equal(1, recorded.AsInt("deliveries"));
            var payload = await ExpectAsync(eventName, kind);
            Assert.Equal("dev", payload.AsText("stackName"));
            lastEventId = recorded.AsText("id");
            return payload;
        }

        async Task<JsonObject> EnvironmentEventAsync(string eventName, string kind, object? fields = null)
        {
            var recorded = await member.PostEventAsync(EnvironmentEvents(org, "proj", "staging"), Event(eventName, fields));
            Assert.Equal(1, recorded.AsInt("deliveries"));
            var payload = await ExpectAsync(eventName, kind);
            Assert.Equal("staging", payload.AsText("environmentName"));
            return payload;
        }

        void AssertUpdate(JsonObject payload, string operation, string result, int version, JsonObject changes)
        {
            Assert.Equal($"{stackUrl}/updates/{version}", payload.AsText("updateUrl"));
            Assert.Equal(operation, payload.AsText("kind"));
            Assert.Equal(result, payload.AsText("result"));
            Assert.False(payload["isPreview"]!.GetValue<bool>());
            Assert.True(JsonNode.DeepEquals(changes, payload["resourceChanges"]), payload.ToJsonString());
        }

        void AssertPreview(JsonObject payload, string result, JsonObject changes)
        {
            Assert.Equal($"{stackUrl}/previews/{lastEventId}", payload.AsText("updateUrl"));
            Assert.Equal("update", payload.AsText("kind"));
            Assert.Equal(result, payload.AsText("result"));
            Assert.True(payload["isPreview"]!.GetValue<bool>());
            Assert.True(JsonNode.DeepEquals(changes, payload["resourceChanges"]), payload.ToJsonString());
        }

        // Registry events come from creating the stack and the environment.
        (await member.PostAsync($"/api/stacks/{org}/proj", Json("""{"stackName": "dev"}"""))).EnsureSuccessStatusCode();
        var created = await ExpectAsync("stack_created", "stack");
        Assert.Equal("created", created.AsText("action"));
        Assert.Equal("dev", created.AsText("stackName"));
        (await member.PostAsync($"/api/esc/environments/{org}", Json("""{"project": "proj", "name": "staging"}"""))).EnsureSuccessStatusCode();
        var envCreated = await ExpectAsync("environment_created", "environment");
        Assert.Equal("created", envCreated.AsText("action"));
        Assert.Equal("staging", envCreated.AsText("environmentName"));

        var changes = new JsonObject { ["create"] = 3, ["same"] = 28 };
        AssertPreview(await StackEventAsync("preview_succeeded", "stack_preview", new { resourceChanges = changes }), "succeeded", changes);
        // A caller's "result" is not taken: the filter name says how it went.
        AssertPreview(await StackEventAsync("preview_failed", "stack_preview", new { resourceChanges = new { }, result = "succeeded" }), "failed", []);
        AssertUpdate(await StackEventAsync("update_succeeded", "stack_update", new { resourceChanges = changes }), "update", "succeeded", 1, changes);
        AssertUpdate(await StackEventAsync("update_failed", "stack_update", new { resourceChanges = new { update = 1 } }), "update", "failed", 2,
            new JsonObject { ["update"] = 1 });
        AssertPreview(await StackEventAsync("preview_succeeded", "stack_preview", new { resourceChanges = changes }), "succeeded", changes);
        AssertUpdate(await StackEventAsync("destroy_succeeded", "stack_update", new { resourceChanges = new { delete = 4 } }), "destroy", "succeeded", 3,
            new JsonObject { ["delete"] = 4 });
        AssertUpdate(await StackEventAsync("destroy_failed", "stack_update"), "destroy", "failed", 4, []);
        AssertUpdate(await StackEventAsync("refresh_succeeded", "stack_update", new { resourceChanges = new { same = 9 } }), "refresh", "succeeded", 5,
            new JsonObject { ["same"] = 9 });
        AssertUpdate(await StackEventAsync("refresh_failed", "stack_update"), "refresh", "failed", 6, []);
        AssertUpdate(await StackEventAsync("import_succeeded", "stack_update", new { resourceChanges = new { import = 2 } }), "import", "succeeded", 7,
            new JsonObject { ["import"] = 2 });
        AssertUpdate(await StackEventAsync("import_failed", "stack_update"), "import", "failed", 8, []);
        var stack = await (await member.GetAsync($"/api/stacks/{org}/proj/dev")).AssertJsonAsync(HttpStatusCode.OK);
        Assert.Equal(8, stack.AsInt("version"));

        foreach (var (eventName, operation, status, version) in new[]
                 {
                     ("deployment_queued", "update", "queued", 4), ("deployment_started", "destroy", "running", 4),
                     ("deployment_succeeded", "refresh", "succeeded", 5), ("deployment_failed", "preview", "failed", 6),
                 })
        {
            var deployment = await StackEventAsync(eventName, "deployment", new { version, operation });
            Assert.StartsWith(stackUrl + "/", deployment.AsText("deploymentUrl"), StringComparison.Ordinal);
            Assert.Equal(version, deployment.AsInt("version"));
            Assert.Equal(operation, deployment.AsText("operation"));
            Assert.Equal(status, deployment.AsText("status"));
        }

        var drift = await StackEventAsync("drift_detected", "drift_detection", new { driftRunId = "run-1", resourceChanges = new { update = 1 } });
        Assert.True(drift["driftDetected"]!.GetValue<bool>());
        Assert.Equal("run-1", drift.AsText("driftRunId"));
        Assert.False(string.IsNullOrEmpty(drift.AsText("status")));
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["update"] = 1 }, drift["resourceChanges"]));
        Assert.StartsWith(stackUrl + "/", drift.AsText("referenceUrl"), StringComparison.Ordinal);
        var noDrift = await StackEventAsync("drift_detection_succeeded", "drift_detection", new { driftDetected = false, driftRunId = "run-2" });
        Assert.False(noDrift["driftDetected"]!.GetValue<bool>());
        Assert.Equal("run-2", noDrift.AsText("driftRunId"));
        Assert.Equal("succeeded", noDrift.AsText("status"));
        Assert.NotNull(noDrift["resourceChanges"]!.AsObject());
        Assert.StartsWith(stackUrl + "/", noDrift.AsText("referenceUrl"), StringComparison.Ordinal);
        var driftFailed = await StackEventAsync("drift_detection_failed", "drift_detection", new { driftRunId = "run-3" });
        Assert.Equal("failed", driftFailed.AsText("status"));
        Assert.Equal("run-3", driftFailed.AsText("driftRunId"));
        Assert.True(driftFailed["driftDetected"]!.GetValueKind() is JsonValueKind.True or JsonValueKind.False);

        foreach (var (eventName, status) in new[] { ("drift_remediation_succeeded", "succeeded"), ("drift_remediation_failed", "failed") })
        {
            var remediation = await StackEventAsync(eventName, "drift_remediation", new { resourceChanges = new { update = 2 }, driftRunId = "run-4" });
            Assert.Equal(status, remediation.AsText("status"));
            Assert.True(JsonNode.DeepEquals(new JsonObject { ["update"] = 2 }, remediation["resourceChanges"]));
            Assert.StartsWith(stackUrl + "/", remediation.AsText("referenceUrl"), StringComparison.Ordinal);
        }

        foreach (var level in new[] { "mandatory", "advisory" })
        {
            var violation = await StackEventAsync($"policy_violation_{level}", "policy_violation", new
            {
                policyPack = "aws-guard",
                policyName = "s3-no-public-read",
                resourceUrn = "urn:pulumi:dev::proj::aws:s3/bucket:Bucket::logs",
                message = "Bucket 'logs' is readable by everyone.",
            });
            Assert.Equal("aws-guard", violation.AsText("policyPack"));
            Assert.Equal("s3-no-public-read", violation.AsText("policyName"));
            Assert.Equal(level, violation.AsText("enforcementLevel"));
            Assert.Equal("urn:pulumi:dev::proj::aws:s3/bucket:Bucket::logs", violation.AsText("resourceUrn"));
            Assert.Equal("Bucket 'logs' is readable by everyone.", violation.AsText("message"));
        }

        foreach (var (eventName, action, revision) in new[] { ("environment_revision_created", "created", 3), ("environment_revision_retracted", "retracted", 2) })
        {
            var payload = await EnvironmentEventAsync(eventName, "environment_revision", new { revision });
            Assert.Equal(action, payload.AsText("action"));
            Assert.Equal(revision, payload.AsInt("revision"));
        }

        foreach (var action in new[] { "created", "deleted", "updated" })
        {
            var revisionTag = await EnvironmentEventAsync($"environment_revision_tag_{action}", "environment_revision_tag", new { tagName = "stable", revision = 3 });
            Assert.Equal("stable", revisionTag.AsText("tagName"));
            Assert.Equal(action, revisionTag.AsText("action"));
            Assert.Equal(3, revisionTag.AsInt("revision"));
            var tag = await EnvironmentEventAsync($"environment_tag_{action}", "environment_tag", new { tagName = "owner" });
            Assert.Equal("owner", tag.AsText("tagName"));
            Assert.Equal(action, tag.AsText("action"));
        }

        var imported = await EnvironmentEventAsync("imported_environment_changed", "imported_environment_changed", new
        {
            affectedRevisions = new[] { 4, 5 },
            importedEnvironmentReference = new { projectName = "shared", environmentName = "base", revision = 9 },
        });
        Assert.True(JsonNode.DeepEquals(new JsonArray(4, 5), imported["affectedRevisions"]), imported.ToJsonString());
        Assert.True(JsonNode.DeepEquals(
            new JsonObject { ["projectName"] = "shared", ["environmentName"] = "base", ["revision"] = 9 }, imported["importedEnvironmentReference"]),
            imported.ToJsonString());

        Assert.Equal(HttpStatusCode.NoContent, (await member.DeleteAsync($"/api/stacks/{org}/proj/dev")).StatusCode);
        var deleted = await ExpectAsync("stack_deleted", "stack");
        Assert.Equal("deleted", deleted.AsText("action"));
        Assert.Equal("dev", deleted.AsText("stackName"));
        Assert.Equal(HttpStatusCode.NoContent, (await member.DeleteAsync($"/api/esc/environments/{org}/proj/staging")).StatusCode);
        var envDeleted = await ExpectAsync("environment_deleted", "environment");
        Assert.Equal("deleted", envDeleted.AsText("action"));
        Assert.Equal("staging", envDeleted.AsText("environmentName"));

        // Every filter of the catalogue was exercised, and the deliveries API agrees on which event each request was.
        Assert.Equal(EventCatalogue.All.Select(f => f.Name).Order(), seen.Select(s => s.Event).Distinct().Order());
        var deliveries = await admin.ListDeliveriesAsync(hook, "?limit=1000");
        Assert.Equal(seen.Count, deliveries.Count);
        var eventById = deliveries.ToDictionary(d => d!.AsText("id"), d => d!.AsText("event"));
        foreach (var (eventName, request) in seen)
        {
            Assert.Equal(eventName, eventById[request.WebhookId!]);
        }
    }

    private static string Hmac(string secret, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
