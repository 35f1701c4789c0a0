using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace StackHooks.Tests.Support;

/// <summary>
/// One place a webhook can live, ready to use: its organization exists (owned by the site admin), its stack or
/// environment exists, and <see cref="Body"/> gives a valid create body carrying the fields the path implies.
/// </summary>
public sealed record HookScope(string Kind, string Org, string Project, string Target, string BasePath)
{
    public const string Organization = "organization";
    public const string Stack = "stack";
    public const string Environment = "environment";
    public const string LegacyEnvironment = "legacy-environment";

    public bool IsOrganization => Kind == Organization;

    public bool IsEnvironment => Kind is Environment or LegacyEnvironment;

    public string HookPath(string name) => $"{BasePath}/{name}";

    /// <summary>A valid create body; <paramref name="changes"/> are applied on top (a null value removes the field).</summary>
    public JsonObject Body(object? changes = null)
    {
        var body = new JsonObject
        {
            ["organizationName"] = Org,
            ["displayName"] = "Test webhook",
            ["payloadUrl"] = "https://example.com/webhook",
            ["active"] = true,
        };
        switch (Kind)
        {
            case Stack:
                body["projectName"] = Project;
                body["stackName"] = Target;
                break;
            case Environment or LegacyEnvironment:
                body["projectName"] = Project;
                body["envName"] = Target;
                break;
        }

        if (changes is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(changes))!.AsObject())
            {
                if (value is null)
                {
                    body.Remove(key);
                }
                else
                {
                    body[key] = value.DeepClone();
                }
            }
        }

        return body;
    }

    public override string ToString() => Kind;
}

public static class HookScopes
{
    /// <summary>Every scope, including the legacy environment path (project "default").</summary>
    public static TheoryData<string> All => [HookScope.Organization, HookScope.Stack, HookScope.Environment, HookScope.LegacyEnvironment];

    /// <summary>Stack and environment scopes.</summary>
    public static TheoryData<string> StackAndEnvironment => [HookScope.Stack, HookScope.Environment, HookScope.LegacyEnvironment];

    /// <summary>Creates a fresh organization (and the stack or environment) and returns the scope.</summary>
    public static async Task<HookScope> NewScopeAsync(this StackHooksApp app, string kind, string? org = null)
    {
        org ??= await app.CreateOrganizationAsync();
        switch (kind)
        {
            case HookScope.Organization:
                return new(kind, org, "", "", $"/api/orgs/{org}/hooks");
            case HookScope.Stack:
                await app.CreateStackAsync(org, "proj", "dev");
                return new(kind, org, "proj", "dev", $"/api/stacks/{org}/proj/dev/hooks");
            case HookScope.Environment:
                await app.CreateEnvironmentAsync(org, "proj", "staging");
                return new(kind, org, "proj", "staging", $"/api/esc/environments/{org}/proj/staging/hooks");
            case HookScope.LegacyEnvironment:
                await app.CreateEnvironmentAsync(org, "default", "legacy");
                return new(kind, org, "default", "legacy", $"/api/preview/environments/{org}/legacy/hooks");
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown scope.");
        }
    }

    /// <summary>Creates a webhook and returns the Webhook object the server answered with (asserting 201).</summary>
    public static async Task<JsonObject> CreateHookAsync(this HttpClient client, HookScope scope, object? changes = null) =>
        await (await client.PostAsync(scope.BasePath, TestJson.Of(scope.Body(changes)))).AssertJsonAsync(HttpStatusCode.Created);
}

public static class TestJson
{
    public static StringContent Of(string body) => new(body, Encoding.UTF8, "application/json");

    public static StringContent Of(JsonNode body) => Of(body.ToJsonString());

    public static string Str(this JsonNode node, string key) => node[key]!.GetValue<string>();

    public static bool Bool(this JsonNode node, string key) => node[key]!.GetValue<bool>();

    public static string[] Strings(this JsonNode node, string key) => node[key]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    public static string Sha256Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
