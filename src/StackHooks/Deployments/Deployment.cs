using System.Text.Json;
using StackHooks.Api;

namespace StackHooks.Deployments;

/// <summary>A deployment of a stack, queued by a <c>pulumi_deployments</c> webhook, as its row.</summary>
public sealed class Deployment
{
    public const string Columns =
        """
        id AS Id, org_name AS OrgName, project_name AS ProjectName, stack_name AS StackName, operation AS Operation, status AS Status,
        version AS Version, caused_by AS CausedByJson, chain_stacks AS ChainStacksJson, message AS Message, created_at AS CreatedAt
        """;

    public string Id { get; set; } = "";
    public string OrgName { get; set; } = "";
    public string ProjectName { get; set; } = "";
    public string StackName { get; set; } = "";
    public string Operation { get; set; } = "update";
    public string Status { get; set; } = "queued";
    public long Version { get; set; }
    public string CausedByJson { get; set; } = "[]";
    public string ChainStacksJson { get; set; } = "[]";
    public string Message { get; set; } = "";
    public long CreatedAt { get; set; }

    public string[] CausedBy => JsonSerializer.Deserialize<string[]>(CausedByJson) ?? [];

    /// <summary>The stacks (<c>project/stack</c>) the causal chain that led here went through, this one excluded.</summary>
    public string[] ChainStacks => JsonSerializer.Deserialize<string[]>(ChainStacksJson) ?? [];

    public DeploymentResponse ToResponse() => new(
        Id, ProjectName, StackName, Operation, Status, Version, ApiJson.Iso(CreatedAt), CausedBy, Message);
}

/// <summary>The Deployment object of SPEC §6.4.</summary>
public sealed record DeploymentResponse(
    string Id, string ProjectName, string StackName, string Operation, string Status, long Version, string Created,
    IReadOnlyList<string> CausedBy, string Message);
