using System.Text;
using System.Text.Json;

namespace StackHooks.Cli.EventLog;

/// <summary>The engine's <c>summaryEvent</c>: what the operation changed and how it ended.</summary>
/// <param name="ResourceChanges">Operation → count, as the engine counted them (on a failed update, only the steps that completed).</param>
/// <param name="IsPreview">Null when the CLI did not say (older CLIs).</param>
/// <param name="Result"><c>succeeded</c>, <c>failed</c> or <c>canceled</c>; null before CLI 3.237.</param>
public sealed record EngineSummary(IReadOnlyDictionary<string, long> ResourceChanges, bool? IsPreview, string? Result, bool MaybeCorrupt);

/// <summary>A policy violation reported by a policy pack (a <c>policyEvent</c>), with colour directives removed from its message.</summary>
public sealed record PolicyViolation(string PolicyPack, string PolicyName, string EnforcementLevel, string ResourceUrn, string Message);

/// <summary>
/// What an engine event log (pulumi's <c>--event-log</c>: JSON Lines, one EngineEvent per line) says about a run: the last
/// summary and the distinct policy violations. Lines that are blank, cut short (a killed CLI) or unknown (a newer CLI) are
/// skipped, never fatal.
/// </summary>
public sealed record EngineEventLog(EngineSummary? Summary, IReadOnlyList<PolicyViolation> PolicyViolations, bool Cancelled, int SkippedLines)
{
    public static EngineEventLog Empty { get; } = new(null, [], false, 0);

    /// <summary>Reads the log at <paramref name="path"/>; a missing or unreadable file is an empty log.</summary>
    public static EngineEventLog Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return Parse(Lines(reader));
        }
        catch (FileNotFoundException)
        {
            return Empty;
        }
        catch (DirectoryNotFoundException)
        {
            return Empty;
        }
        catch (IOException)
        {
            return Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return Empty;
        }
    }

    public static EngineEventLog Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        EngineSummary? summary = null;
        var violations = new List<PolicyViolation>();
        var seen = new HashSet<(string, string, string)>();
        var cancelled = false;
        var skipped = 0;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    skipped++;
                    continue;
                }

                if (root.TryGetProperty("summaryEvent", out var summaryEvent) && summaryEvent.ValueKind == JsonValueKind.Object)
                {
                    summary = ReadSummary(summaryEvent);
                }
                else if (root.TryGetProperty("policyEvent", out var policyEvent) && policyEvent.ValueKind == JsonValueKind.Object)
                {
                    if (ReadPolicyViolation(policyEvent) is { } violation && seen.Add((violation.PolicyPack, violation.PolicyName, violation.ResourceUrn)))
                    {
                        violations.Add(violation);
                    }
                }
                else if (root.TryGetProperty("cancelEvent", out _))
                {
                    cancelled = true;
                }
            }
            catch (JsonException)
            {
                skipped++;
            }
        }

        return new EngineEventLog(summary, violations, cancelled, skipped);
    }

    private static EngineSummary ReadSummary(JsonElement summary)
    {
        var changes = new Dictionary<string, long>(StringComparer.Ordinal);
        if (summary.TryGetProperty("resourceChanges", out var resourceChanges) && resourceChanges.ValueKind == JsonValueKind.Object)
        {
            foreach (var change in resourceChanges.EnumerateObject())
            {
                if (change.Value.ValueKind == JsonValueKind.Number && change.Value.TryGetInt64(out var count) && count >= 0)
                {
                    changes[change.Name] = count;
                }
            }
        }

        bool? isPreview = summary.TryGetProperty("isPreview", out var preview) && preview.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? preview.GetBoolean()
            : null;
        var result = summary.TryGetProperty("result", out var resultElement) && resultElement.ValueKind == JsonValueKind.String
            ? resultElement.GetString()
            : null;
        var maybeCorrupt = summary.TryGetProperty("maybeCorrupt", out var corrupt) && corrupt.ValueKind == JsonValueKind.True;
        return new EngineSummary(changes, isPreview, string.IsNullOrEmpty(result) ? null : result, maybeCorrupt);
    }

    private static PolicyViolation? ReadPolicyViolation(JsonElement policy)
    {
        var level = Text(policy, "enforcementLevel").ToLowerInvariant() switch
        {
            "mandatory" => "mandatory",
            "advisory" or "warning" => "advisory",
            _ => null, // remediate, disabled: not violations anyone is told about
        };
        return level is null
            ? null
            : new PolicyViolation(
                Text(policy, "policyPackName"),
                Text(policy, "policyName"),
                level,
                Text(policy, "resourceUrn"),
                ColorDirectives.Remove(Text(policy, "message")).Trim());
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    private static IEnumerable<string> Lines(StreamReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
