using System.Text.Json;
using System.Text.Json.Serialization;

namespace StackHooks.Webhooks;

/// <summary>Destination formats (SPEC §3).</summary>
public static class WebhookFormats
{
    public const string Raw = "raw";
    public const string Slack = "slack";
    public const string MsTeams = "ms_teams";
    public const string PulumiDeployments = "pulumi_deployments";

    public static readonly IReadOnlyList<string> All = [Raw, Slack, MsTeams, PulumiDeployments];
}

/// <summary>
/// Body of create and update. Every field is optional here so that PATCH can tell "absent" (keep) from "given";
/// create checks the required ones. <c>hasSecret</c>, <c>secretCiphertext</c> and unknown fields are ignored.
/// </summary>
public sealed record WebhookRequest(
    string? OrganizationName,
    string? ProjectName,
    string? StackName,
    string? EnvName,
    string? Name,
    string? DisplayName,
    string? PayloadUrl,
    bool? Active,
    string? Format,
    string?[]? Filters,
    string?[]? Groups,
    string? Secret);

/// <summary>The Webhook object as returned (SPEC §3): the request fields minus the secret, plus its fingerprint.</summary>
public sealed record WebhookResponse(
    string OrganizationName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ProjectName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StackName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EnvName,
    string Name,
    string DisplayName,
    string PayloadUrl,
    bool Active,
    string Format,
    IReadOnlyList<string> Filters,
    IReadOnlyList<string> Groups,
    bool HasSecret,
    string SecretCiphertext);

/// <summary>A stored webhook, as its row.</summary>
public sealed class Webhook
{
    public string Id { get; set; } = "";
    public string OrgName { get; set; } = "";
    public string Scope { get; set; } = "";
    public string ProjectName { get; set; } = "";
    public string TargetName { get; set; } = "";
    public string Name { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string PayloadUrl { get; set; } = "";
    public bool Active { get; set; }
    public string Format { get; set; } = WebhookFormats.Raw;
    public string[] Filters { get; set; } = [];
    public string[] Groups { get; set; } = [];

    /// <summary>Filters and groups are stored as JSON arrays of strings.</summary>
    public string FiltersJson
    {
        get => JsonSerializer.Serialize(Filters, WebhookJsonContext.Default.StringArray);
        set => Filters = JsonSerializer.Deserialize(value, WebhookJsonContext.Default.StringArray) ?? [];
    }

    public string GroupsJson
    {
        get => JsonSerializer.Serialize(Groups, WebhookJsonContext.Default.StringArray);
        set => Groups = JsonSerializer.Deserialize(value, WebhookJsonContext.Default.StringArray) ?? [];
    }
    public string? SecretEncrypted { get; set; }
    public string SecretSha256 { get; set; } = "";
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }

    public WebhookResponse ToResponse() => new(
        OrgName,
        Scope == "organization" ? null : ProjectName,
        Scope == "stack" ? TargetName : null,
        Scope == "environment" ? TargetName : null,
        Name,
        DisplayName,
        PayloadUrl,
        Active,
        Format,
        Filters,
        Groups,
        SecretEncrypted is not null,
        SecretSha256);
}

[JsonSerializable(typeof(string[]))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;
