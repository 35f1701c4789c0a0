using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using StackHooks.Events;

namespace StackHooks.Formats;

/// <summary>How an event turned out; it decides the colour of a message.</summary>
internal enum Outcome
{
    Neutral,
    Succeeded,
    Failed,
    Warning,
}

/// <summary>One labelled value of a message ("Stack" → "dev"), as plain text.</summary>
internal sealed record Fact(string Title, string Value);

/// <summary>One entry of <c>resourceChanges</c>: an operation and how many resources it touched.</summary>
internal sealed record ResourceChange(string Operation, long Count);

/// <summary>The user who caused an event.</summary>
internal sealed record Person(string Display, string Short, string? AvatarUrl);

/// <summary>Where the reader goes for more: the update, deployment, drift run, stack or environment.</summary>
internal sealed record EventLink(string Label, string Url);

/// <summary>
/// What a chat message says about one event, whichever chat service it goes to: built once from the event's raw payload
/// (SPEC §6.1) and rendered by <see cref="SlackMessage"/> and <see cref="TeamsMessage"/>. Every string in it is plain
/// text from the payload, already cut to a sensible length; escaping is the renderer's job.
/// </summary>
internal sealed record EventDescription(
    string Marker,
    Outcome Outcome,
    string Title,
    string Subject,
    string Summary,
    IReadOnlyList<Fact> Facts,
    IReadOnlyList<ResourceChange> Changes,
    string? DetailsTitle,
    string? Details,
    Person? User,
    string UserRole,
    EventLink? Link)
{
    public const string SuccessMarker = "✅";
    public const string FailureMarker = "❌";
    public const string WarningMarker = "⚠️";
    public const string QueuedMarker = "⏳";
    public const string RunningMarker = "🔄";
    public const string CreatedMarker = "✨";
    public const string DeletedMarker = "🗑️";
    public const string ChangedMarker = "✏️";
    public const string RetractedMarker = "↩️";
    public const string PingMarker = "🍹";

    /// <summary>The longest name (organization, project, stack, tag, user…) shown before it is cut.</summary>
    public const int NameLength = 200;

    /// <summary>The longest other value (policy, resource URN, …) shown before it is cut.</summary>
    public const int ValueLength = 1000;

    /// <summary>The longest free text (a policy message) kept; each renderer cuts it further to its own limits.</summary>
    public const int DetailsLength = 4000;

    private const int MaxChanges = 20;

    public static EventDescription Of(string eventName, string kind, JsonObject raw)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(raw);
        if (eventName == "ping")
        {
            kind = "ping";
        }
        else if (kind.Length == 0)
        {
            kind = EventCatalogue.Find(eventName)?.Kind ?? "";
        }

        var (phrase, outcome, marker) = Headline(eventName, kind, raw);
        var org = Name(raw["organization"] as JsonObject, "name") ?? Name(raw["organization"] as JsonObject, "githubLogin");
        var project = Name(raw, "projectName");
        var isEnvironment = kind.StartsWith("environment", StringComparison.Ordinal) || kind == "imported_environment_changed"
            || (raw["stackName"] is null && raw["environmentName"] is not null);
        var target = isEnvironment ? Name(raw, "environmentName") : Name(raw, "stackName");
        var subject = string.Join('/', new[] { org, project, target }.Where(p => p is not null));

        var facts = new List<Fact>();
        if (kind != "ping")
        {
            Add(facts, "Organization", org);
        }

        Add(facts, "Project", project);
        Add(facts, isEnvironment ? "Environment" : "Stack", target);
        var changes = ReadChanges(raw["resourceChanges"]);
        var (details, detailsTitle, detail) = KindFacts(eventName, kind, raw, facts, changes);

        var user = ReadUser(raw["user"] as JsonObject);
        var link = ReadLink(eventName, kind, raw);

        var title = DisplayText.Capitalized(phrase);
        // The one line keeps each part short, so that what happened always fits in it.
        var where = subject.Length > 0 ? DisplayText.Limit(subject, 120) + ": " : "";
        string summary;
        if (kind == "ping")
        {
            summary = details is null ? $"{marker} {where}ping" : DisplayText.Limit(DisplayText.OneLine(details), 200);
        }
        else
        {
            var what = detail is null ? phrase : $"{phrase} ({DisplayText.Limit(detail, 80)})";
            var by = user is null ? "" : $" by {DisplayText.Limit(user.Short, 60)}";
            summary = $"{marker} {where}{what}{by}";
        }

        var role = kind == "ping" ? "Sent by" : "Triggered by";
        return new EventDescription(marker, outcome, title, subject, summary, facts, changes, detailsTitle, details, user, role, link);
    }

    /// <summary>"+3 ~1 -0": creates, updates and deletes always, replaces and imports when there are any.</summary>
    public static string ShortChanges(IReadOnlyList<ResourceChange> changes)
    {
        long Count(string op) => changes.FirstOrDefault(c => c.Operation == op)?.Count ?? 0;
        var text = string.Create(CultureInfo.InvariantCulture, $"+{Count("create")} ~{Count("update")} -{Count("delete")}");
        if (Count("replace") is var replaced and not 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" +-{replaced}");
        }

        if (Count("import") is var imported and not 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" ={imported}");
        }

        return text;
    }

    /// <summary>"+3 create · ~1 update · 28 unchanged": every operation of the payload, the usual ones first.</summary>
    public static string LongChanges(IReadOnlyList<ResourceChange> changes) =>
        string.Join(" · ", changes.Select(c => c.Operation switch
        {
            "same" => string.Create(CultureInfo.InvariantCulture, $"{c.Count} unchanged"),
            var op => string.Create(CultureInfo.InvariantCulture, $"{Symbol(op)}{c.Count} {op}"),
        }));

    private static string Symbol(string operation) => operation switch
    {
        "create" => "+",
        "update" => "~",
        "delete" => "-",
        "replace" => "+-",
        "create-replacement" => "++",
        "delete-replaced" => "--",
        "import" => "=",
        _ => "",
    };

    private static readonly string[] OperationOrder =
        ["create", "update", "delete", "replace", "create-replacement", "delete-replaced", "read", "import", "refresh", "discard", "same"];

    /// <summary>What happened, in a few words, with how it went and its marker.</summary>
    private static (string Phrase, Outcome Outcome, string Marker) Headline(string eventName, string kind, JsonObject raw) => eventName switch
    {
        "ping" => ("ping", Outcome.Neutral, PingMarker),
        "stack_created" => ("stack created", Outcome.Neutral, CreatedMarker),
        "stack_deleted" => ("stack deleted", Outcome.Neutral, DeletedMarker),
        "deployment_queued" => ("deployment queued", Outcome.Neutral, QueuedMarker),
        "deployment_started" => ("deployment started", Outcome.Neutral, RunningMarker),
        "drift_detected" => ("drift detected", Outcome.Warning, WarningMarker),
        "policy_violation_mandatory" => ("mandatory policy violation", Outcome.Failed, FailureMarker),
        "policy_violation_advisory" => ("advisory policy violation", Outcome.Warning, WarningMarker),
        "environment_created" => ("environment created", Outcome.Neutral, CreatedMarker),
        "environment_deleted" => ("environment deleted", Outcome.Neutral, DeletedMarker),
        "environment_revision_created" => ("environment revision created", Outcome.Neutral, CreatedMarker),
        "environment_revision_retracted" => ("environment revision retracted", Outcome.Neutral, RetractedMarker),
        "environment_revision_tag_created" => ("revision tag created", Outcome.Neutral, CreatedMarker),
        "environment_revision_tag_deleted" => ("revision tag deleted", Outcome.Neutral, DeletedMarker),
        "environment_revision_tag_updated" => ("revision tag updated", Outcome.Neutral, ChangedMarker),
        "environment_tag_created" => ("environment tag created", Outcome.Neutral, CreatedMarker),
        "environment_tag_deleted" => ("environment tag deleted", Outcome.Neutral, DeletedMarker),
        "environment_tag_updated" => ("environment tag updated", Outcome.Neutral, ChangedMarker),
        "imported_environment_changed" => ("imported environment changed", Outcome.Neutral, ChangedMarker),
        _ when eventName.EndsWith("_succeeded", StringComparison.Ordinal) =>
            (Words(eventName), Outcome.Succeeded, SuccessMarker),
        _ when eventName.EndsWith("_failed", StringComparison.Ordinal) =>
            (Words(eventName), Outcome.Failed, FailureMarker),
        // Not in the catalogue: say what the payload says.
        _ => FromStatus(Words(eventName.Length > 0 ? eventName : kind.Length > 0 ? kind : "event"),
            Text(raw, "result") ?? Text(raw, "status")),
    };

    private static (string, Outcome, string) FromStatus(string phrase, string? status) => status switch
    {
        "succeeded" => (phrase, Outcome.Succeeded, SuccessMarker),
        "failed" => (phrase, Outcome.Failed, FailureMarker),
        _ => (phrase, Outcome.Neutral, "🔔"),
    };

    private static string Words(string name) => DisplayText.Limit(DisplayText.OneLine(name.Replace('_', ' ')), 100);

    /// <summary>
    /// Adds the facts of the event's kind; returns the free text to show (a policy message), its heading, and a short
    /// detail for the one-line summary.
    /// </summary>
    private static (string? Details, string? DetailsTitle, string? Detail) KindFacts(
        string eventName, string kind, JsonObject raw, List<Fact> facts, IReadOnlyList<ResourceChange> changes)
    {
        string? changesDetail = raw["resourceChanges"] is JsonObject ? ShortChanges(changes) : null;
        switch (kind)
        {
            case "stack_update":
            case "stack_preview":
            {
                Add(facts, "Operation", Operation(eventName, kind, raw));
                Add(facts, "Result", Status(Text(raw, "result") ?? Suffix(eventName)));
                Add(facts, "Version", Value(raw, "version"));
                return (null, null, changesDetail);
            }
            case "deployment":
            {
                var operation = Name(raw, "operation");
                var version = Value(raw, "version");
                Add(facts, "Operation", operation);
                Add(facts, "Version", version);
                Add(facts, "Status", Status(Text(raw, "status") ?? DeploymentStatus(eventName)));
                var detail = string.Join(' ', new[] { operation, version is null ? null : "#" + version }.Where(p => p is not null));
                return (null, null, detail.Length == 0 ? null : detail);
            }
            case "drift_detection":
            {
                var drift = raw["driftDetected"] is JsonValue flag && flag.TryGetValue<bool>(out var detected)
                    ? detected
                    : eventName == "drift_detected" ? true : (bool?)null;
                Add(facts, "Drift", drift switch { true => "detected", false => "none", null => null });
                // A run that found drift succeeded, but a green tick beside the warning would mislead.
                var status = Text(raw, "status") ?? Suffix(eventName);
                Add(facts, "Status", drift == true && status is not null ? DisplayText.Limit(DisplayText.OneLine(status), 100) : Status(status));
                Add(facts, "Drift run", Value(raw, "driftRunId"));
                return (null, null, drift == false ? "no drift" : changesDetail);
            }
            case "drift_remediation":
                Add(facts, "Status", Status(Text(raw, "status") ?? Suffix(eventName)));
                return (null, null, changesDetail);
            case "policy_violation":
            {
                var pack = Value(raw, "policyPack");
                var policy = Value(raw, "policyName");
                Add(facts, "Policy pack", pack);
                Add(facts, "Policy", policy);
                Add(facts, "Enforcement", Name(raw, "enforcementLevel"));
                Add(facts, "Resource", Value(raw, "resourceUrn"));
                var detail = string.Join('/', new[] { pack, policy }.Where(p => p is not null));
                return (ReadDetails(raw, "message"), "Message", detail.Length == 0 ? null : DisplayText.Limit(detail, 120));
            }
            case "environment_revision":
            {
                var revision = Value(raw, "revision");
                Add(facts, "Revision", revision);
                return (null, null, revision is null ? null : $"revision {revision}");
            }
            case "environment_revision_tag":
            case "environment_tag":
            {
                var tag = Name(raw, "tagName");
                var revision = Value(raw, "revision");
                Add(facts, "Tag", tag);
                Add(facts, "Revision", revision);
                var detail = string.Join(", ", new[] { tag is null ? null : $"tag {tag}", revision is null ? null : $"revision {revision}" }
                    .Where(p => p is not null));
                return (null, null, detail.Length == 0 ? null : detail);
            }
            case "imported_environment_changed":
            {
                var imported = raw["importedEnvironmentReference"] as JsonObject;
                var name = imported is null
                    ? null
                    : string.Join('/', new[] { Name(imported, "projectName"), Name(imported, "environmentName") }.Where(p => p is not null));
                var revision = imported is null ? null : Value(imported, "revision");
                var reference = string.IsNullOrEmpty(name) ? null : revision is null ? name : $"{name} (revision {revision})";
                Add(facts, "Imported environment", reference);
                Add(facts, "Affected revisions", Revisions(raw["affectedRevisions"]));
                return (null, null, string.IsNullOrEmpty(name) ? null : $"imports {name}");
            }
            case "ping":
            {
                if (Integer(raw["timestamp"]) is { } seconds && seconds is >= 0 and <= 253402300799)
                {
                    Add(facts, "Sent", DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
                }

                return (ReadDetails(raw, "message"), null, null);
            }
            default:
                Add(facts, "Status", Status(Text(raw, "result") ?? Text(raw, "status") ?? Text(raw, "action")));
                return (ReadDetails(raw, "message"), "Message", changesDetail);
        }
    }

    private static string? Operation(string eventName, string kind, JsonObject raw)
    {
        var isPreview = kind == "stack_preview" || (raw["isPreview"] is JsonValue flag && flag.TryGetValue<bool>(out var preview) && preview);
        if (isPreview)
        {
            return "preview";
        }

        var underscore = eventName.IndexOf('_', StringComparison.Ordinal);
        return Name(raw, "kind") ?? (underscore > 0 ? eventName[..underscore] : null);
    }

    private static string? Suffix(string eventName) => eventName.LastIndexOf('_') is var i and >= 0 ? eventName[(i + 1)..] : null;

    private static string? DeploymentStatus(string eventName) => eventName switch
    {
        "deployment_queued" => "queued",
        "deployment_started" => "running",
        _ => Suffix(eventName),
    };

    /// <summary>A status word with the marker that goes with it: "✅ succeeded".</summary>
    private static string? Status(string? status)
    {
        if (status is null)
        {
            return null;
        }

        var text = DisplayText.Limit(DisplayText.OneLine(status), 100);
        return status switch
        {
            "succeeded" => $"{SuccessMarker} {text}",
            "failed" => $"{FailureMarker} {text}",
            "queued" => $"{QueuedMarker} {text}",
            "running" => $"{RunningMarker} {text}",
            _ => text,
        };
    }

    private static string? Revisions(JsonNode? node)
    {
        if (node is not JsonArray revisions)
        {
            return null;
        }

        var values = revisions.Select(Scalar).Where(v => v is not null).ToList();
        if (values.Count == 0)
        {
            return null;
        }

        return DisplayText.Limit(string.Join(", ", values), ValueLength);
    }

    private static Person? ReadUser(JsonObject? user)
    {
        if (user is null)
        {
            return null;
        }

        var name = Name(user, "name");
        var login = Name(user, "githubLogin");
        if (name is null && login is null)
        {
            return null;
        }

        var display = name is null ? login! : login is null || login == name ? name : $"{name} ({login})";
        return new Person(display, login ?? name!, WebUrl(Text(user, "avatarUrl")));
    }

    private static EventLink? ReadLink(string eventName, string kind, JsonObject raw)
    {
        var operation = Operation(eventName, kind, raw);
        var updateLabel = kind is "stack_update" or "stack_preview" && operation is "preview" or "destroy" or "refresh" or "import"
            ? $"View {operation}"
            : "View update";
        var candidates = new (string Field, string Label)[]
        {
            ("updateUrl", updateLabel),
            ("deploymentUrl", "View deployment"),
            ("referenceUrl", kind == "drift_remediation" ? "View remediation" : "View drift run"),
            ("environmentUrl", "View environment"),
            ("stackUrl", "View stack"),
        };
        foreach (var (field, label) in candidates)
        {
            if (WebUrl(Text(raw, field)) is { } url)
            {
                return new EventLink(label, url);
            }
        }

        return null;
    }

    /// <summary>An absolute http(s) URL that fits in a message, or nothing.</summary>
    private static string? WebUrl(string? text) =>
        text is { Length: > 0 and <= 2000 }
        && Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && !text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            ? text
            : null;

    private static List<ResourceChange> ReadChanges(JsonNode? node)
    {
        if (node is not JsonObject changes)
        {
            return [];
        }

        var list = new List<ResourceChange>();
        foreach (var (operation, value) in changes)
        {
            if (Integer(value) is { } count && operation.Length > 0)
            {
                list.Add(new ResourceChange(DisplayText.Limit(DisplayText.OneLine(operation), 40), count));
            }
        }

        return [.. list
            .OrderBy(c => Array.IndexOf(OperationOrder, c.Operation) is var i and >= 0 ? i : OperationOrder.Length)
            .ThenBy(c => c.Operation, StringComparer.Ordinal)
            .Take(MaxChanges)];
    }

    /// <summary>A whole number, whether the JSON holds it as a number or a string; nothing otherwise.</summary>
    private static long? Integer(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var whole))
        {
            return whole;
        }

        if (value.TryGetValue<double>(out var number) && double.IsFinite(number) && Math.Abs(number) < 1e15)
        {
            return (long)number;
        }

        if (value.GetValueKind() == JsonValueKind.Number && long.TryParse(value.ToJsonString(), CultureInfo.InvariantCulture, out whole))
        {
            return whole;
        }

        return value.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out whole)
            ? whole
            : null;
    }

    private static void Add(List<Fact> facts, string title, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            facts.Add(new Fact(title, value));
        }
    }

    /// <summary>A name-like field on one line, cut to <see cref="NameLength"/>; nothing when missing or blank.</summary>
    private static string? Name(JsonObject? node, string field) =>
        Text(node, field) is { } text && !string.IsNullOrWhiteSpace(text) ? DisplayText.Limit(DisplayText.OneLine(text), NameLength) : null;

    /// <summary>Any scalar field on one line, cut to <see cref="ValueLength"/>.</summary>
    private static string? Value(JsonObject node, string field) =>
        Scalar(node[field]) is { } text && !string.IsNullOrWhiteSpace(text) ? DisplayText.Limit(DisplayText.OneLine(text), ValueLength) : null;

    private static string? ReadDetails(JsonObject node, string field) =>
        Text(node, field) is { } text && !string.IsNullOrWhiteSpace(text)
            ? DisplayText.Limit(DisplayText.Printable(text).Trim(), DetailsLength)
            : null;

    private static string? Text(JsonObject? node, string field) =>
        node?[field] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? StringOf(value) : null;

    /// <summary>A string, number or boolean as text; nothing for objects, arrays and null.</summary>
    private static string? Scalar(JsonNode? node) => node is JsonValue value
        ? value.GetValueKind() switch
        {
            JsonValueKind.String => StringOf(value),
            JsonValueKind.Number => value.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        }
        : null;

    private static string? StringOf(JsonValue value)
    {
        if (value.TryGetValue<string>(out var text))
        {
            return text;
        }

        // A value made from a Guid, a char, a date…: read back what it serializes to.
        using var document = JsonDocument.Parse(value.ToJsonString());
        return document.RootElement.GetString();
    }
}
