using System.Text.Json.Nodes;
using StackHooks.Cli.Pulumi;

namespace StackHooks.Cli.Reporting;

/// <summary>How the organization to report to was settled.</summary>
/// <param name="MustChoose">The caller belongs to several organizations, or none: a person has to name one.</param>
public sealed record OrganizationAnswer(string? Organization, string? Problem, AnswerKind Kind, bool MustChoose = false)
{
    public static OrganizationAnswer Found(string org) => new(org, null, AnswerKind.Success);
}

/// <summary>
/// Settles the organization events are recorded in (SPEC §10): <c>--org</c> / <c>STACKHOOKS_ORG</c>, else the organization
/// part of a fully qualified stack, else the caller's only organization according to <c>GET /api/user</c>.
/// </summary>
public sealed class OrganizationResolver(StackHooksClient client)
{
    private OrganizationAnswer? fromServer;

    /// <summary>The organization known without asking the server, or null.</summary>
    public static string? Local(string? configured, StackReference? stack) =>
        !string.IsNullOrWhiteSpace(configured) ? configured.Trim() : stack is { Organization: { } org, Project: not null } ? org : null;

    /// <summary>The caller's only organization; remembered once found.</summary>
    public async Task<OrganizationAnswer> FromServerAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (fromServer is { Kind: AnswerKind.Success or AnswerKind.Rejected })
        {
            return fromServer;
        }

        var answer = await client.SendAsync("GET", "/api/user", null, null, timeout, ct);
        fromServer = answer.Kind switch
        {
            AnswerKind.Success => Choose(answer.Json),
            AnswerKind.Rejected when StackHooksClient.IsAuthenticationProblem(answer.Status) =>
                new OrganizationAnswer(null, $"the server refused the token ({answer.Problem}); check STACKHOOKS_TOKEN", AnswerKind.Rejected),
            _ => new OrganizationAnswer(null, $"could not ask the server which organization to use: {answer.Problem}", answer.Kind),
        };
        return fromServer;
    }

    private static OrganizationAnswer Choose(JsonNode? user)
    {
        var names = (user?["organizations"] as JsonArray ?? [])
            .Select(o => o?["name"] is JsonValue name && name.TryGetValue<string>(out var text) ? text : null)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
        return names.Count switch
        {
            1 => OrganizationAnswer.Found(names[0]),
            0 => new OrganizationAnswer(null, "the token's user belongs to no organization; ask an admin to add it to one", AnswerKind.Rejected, MustChoose: true),
            _ => new OrganizationAnswer(null,
                $"the token's user belongs to several organizations ({string.Join(", ", names)}); choose one with --org or STACKHOOKS_ORG",
                AnswerKind.Rejected, MustChoose: true),
        };
    }
}
