using StackHooks.Cli.EventLog;

namespace StackHooks.Cli.Tests.Unit;

public class EngineEventLogTests
{
    private const string Summary =
        """{"sequence":4,"timestamp":1764000005,"summaryEvent":{"maybeCorrupt":false,"durationSeconds":3,"resourceChanges":{"create":2,"same":7},"PolicyPacks":{},"isPreview":false,"result":"succeeded"}}""";

    private static string Policy(string level, string urn = "urn:pulumi:dev::shop::aws:s3/bucketV2:BucketV2::assets", string policy = "s3-no-public-read",
        string message = "Buckets must not be public") =>
        $$$"""{"sequence":2,"timestamp":1764000021,"policyEvent":{"resourceUrn":"{{{urn}}}","message":"{{{message}}}","color":"raw","policyName":"{{{policy}}}","policyPackName":"aws-baseline","policyPackVersion":"1.2.0","enforcementLevel":"{{{level}}}","severity":"high"}}""";

    [Fact]
    public void ReadsTheSummaryOfASuccessfulUpdate()
    {
        var log = EngineEventLog.Parse(["""{"sequence":0,"timestamp":1764000000,"preludeEvent":{"config":{}}}""", Summary, """{"sequence":5,"timestamp":1764000005,"cancelEvent":{}}"""]);

        Assert.NotNull(log.Summary);
        Assert.Equal(new Dictionary<string, long> { ["create"] = 2, ["same"] = 7 }, log.Summary.ResourceChanges);
        Assert.False(log.Summary.IsPreview);
        Assert.Equal("succeeded", log.Summary.Result);
        Assert.True(log.Cancelled);
        Assert.Equal(0, log.SkippedLines);
    }

    [Fact]
    public void TheLastSummaryWins()
    {
        var preview = """{"sequence":3,"timestamp":1,"summaryEvent":{"resourceChanges":{"create":5},"isPreview":true,"result":"succeeded"}}""";

        var log = EngineEventLog.Parse([preview, Summary]);

        Assert.Equal(2, log.Summary!.ResourceChanges["create"]);
        Assert.False(log.Summary.IsPreview);
    }

    [Fact]
    public void ASummaryOfAnOldCliHasNoResultAndNoPreviewFlag()
    {
        var log = EngineEventLog.Parse(["""{"sequence":1,"timestamp":1700000003,"summaryEvent":{"maybeCorrupt":false,"durationSeconds":3,"resourceChanges":{"update":1,"same":8},"PolicyPacks":{}}}"""]);

        Assert.Null(log.Summary!.Result);
        Assert.Null(log.Summary.IsPreview);
        Assert.Equal(1, log.Summary.ResourceChanges["update"]);
    }

    [Fact]
    public void BlankTruncatedAndUnknownLinesAreSkippedNeverFatal()
    {
        var log = EngineEventLog.Parse(
        [
            "",
            "   ",
            Summary,
            """{"sequence":9,"timestamp":1,"somethingNewEvent":{"x":1}}""",
            "[1,2,3]",
            "not json at all",
            """{"sequence":5,"timestamp":1764000005,"cancelEv""",
        ]);

        Assert.Equal("succeeded", log.Summary!.Result);
        Assert.False(log.Cancelled);
        Assert.Equal(3, log.SkippedLines); // the array, the text and the cut line; the unknown event is simply not ours
    }

    [Fact]
    public void ATruncatedSummaryLeavesNoSummary()
    {
        var log = EngineEventLog.Parse(["""{"sequence":0,"timestamp":1,"preludeEvent":{"config":{}}}""", Summary[..60]]);

        Assert.Null(log.Summary);
        Assert.Equal(1, log.SkippedLines);
    }

    [Fact]
    public void ResourceChangesOfTheWrongTypeAreLeftOut()
    {
        var log = EngineEventLog.Parse(["""{"summaryEvent":{"resourceChanges":{"create":2,"same":"7","update":-1,"delete":1.5,"read":null},"result":"failed"}}"""]);

        Assert.Equal(new Dictionary<string, long> { ["create"] = 2 }, log.Summary!.ResourceChanges);
    }

    [Fact]
    public void EveryOperationKeyIsKeptAsItIs()
    {
        var keys = new[]
        {
            "same", "create", "update", "delete", "replace", "create-replacement", "delete-replaced", "read", "read-replacement", "refresh",
            "discard", "discard-replaced", "remove-pending-replace", "import", "import-replacement",
        };
        var changes = string.Join(",", keys.Select((k, i) => $"\"{k}\":{i + 1}"));

        var log = EngineEventLog.Parse([$$$"""{"summaryEvent":{"resourceChanges":{{{{changes}}}},"result":"succeeded"}}"""]);

        Assert.Equal(keys, log.Summary!.ResourceChanges.Keys);
    }

    [Fact]
    public void MandatoryAndAdvisoryPolicyEventsAreViolationsOthersAreNot()
    {
        var log = EngineEventLog.Parse(
        [
            Policy("mandatory"),
            Policy("advisory", urn: "urn:pulumi:dev::shop::aws:ec2/instance:Instance::web", policy: "require-tags"),
            Policy("remediate", policy: "auto-tag"),
            Policy("disabled", policy: "off"),
        ]);

        Assert.Equal(["mandatory", "advisory"], log.PolicyViolations.Select(v => v.EnforcementLevel));
        var mandatory = log.PolicyViolations[0];
        Assert.Equal(("aws-baseline", "s3-no-public-read", "urn:pulumi:dev::shop::aws:s3/bucketV2:BucketV2::assets"),
            (mandatory.PolicyPack, mandatory.PolicyName, mandatory.ResourceUrn));
    }

    [Fact]
    public void APolicyViolationIsCountedOncePerPackPolicyAndResource()
    {
        var log = EngineEventLog.Parse(
        [
            Policy("mandatory"),
            Policy("mandatory"),
            Policy("mandatory", urn: "urn:pulumi:dev::shop::aws:s3/bucketV2:BucketV2::logs"),
            Policy("mandatory", policy: "s3-encryption"),
        ]);

        Assert.Equal(3, log.PolicyViolations.Count);
    }

    [Fact]
    public void ColourDirectivesAndHtmlEscapesAreTurnedIntoPlainText()
    {
        var message = @"\u003c{%fg 1%}\u003emandatory: \u003c{%reset%}\u003e\u003c{%bold%}\u003eBuckets must not be public\u003c{%reset%}\u003e\nUse \u0026 enjoy \u003cprivate\u003e";

        var log = EngineEventLog.Parse([Policy("mandatory", message: message)]);

        Assert.Equal("mandatory: Buckets must not be public\nUse & enjoy <private>", log.PolicyViolations[0].Message);
    }

    [Fact]
    public void ColourDirectivesAndAnsiSequencesAreRemoved()
    {
        Assert.Equal("error: it failed", ColorDirectives.Remove("<{%fg 1%}>error: <{%reset%}>it failed<{%reset%}>"));
        Assert.Equal("red text", ColorDirectives.Remove("\u001b[31mred\u001b[0m text"));
        Assert.Equal("a <b> c", ColorDirectives.Remove("a <b> c"));
    }

    [Fact]
    public void AMissingFileIsAnEmptyLog()
    {
        var log = EngineEventLog.Read(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "events.jsonl"));

        Assert.Null(log.Summary);
        Assert.Empty(log.PolicyViolations);
    }

    [Fact]
    public void ReadsTheScenarioFilesTheFakeCliPlays()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "FakePulumi", "scenarios", "up-policy-violations")).Where(l => !l.StartsWith('#'));

        var log = EngineEventLog.Parse(lines);

        Assert.Equal("failed", log.Summary!.Result);
        Assert.Equal(["mandatory", "advisory"], log.PolicyViolations.Select(v => v.EnforcementLevel));
        Assert.Equal("mandatory: S3 buckets must not be public-read\nSet acl to \"private\" & use a CloudFront origin access identity.", log.PolicyViolations[0].Message);
    }
}
