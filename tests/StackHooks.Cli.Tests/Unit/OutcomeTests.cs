using StackHooks.Cli.EventLog;
using StackHooks.Cli.Pulumi;

namespace StackHooks.Cli.Tests.Unit;

public class OutcomeTests
{
    private static PulumiInvocation Pulumi(params string[] arguments) => PulumiInvocation.Parse(["pulumi", .. arguments]);

    private static EngineEventLog WithSummary(string? result, bool? isPreview = false, params (string Op, long Count)[] changes) =>
        new(new EngineSummary(changes.ToDictionary(c => c.Op, c => c.Count), isPreview, result, false), [], true, 0);

    private static string Single(RunOutcome outcome) => Assert.Single(outcome.Events).Name;

    [Theory]
    [InlineData("up", "update")]
    [InlineData("update", "update")]
    [InlineData("destroy", "destroy")]
    [InlineData("down", "destroy")]
    [InlineData("refresh", "refresh")]
    [InlineData("import", "import")]
    public void TheOperationNamesTheEvent(string command, string operation)
    {
        Assert.Equal($"{operation}_succeeded", Single(Outcome.Decide(Pulumi(command, "--yes"), WithSummary("succeeded"), 0)));
        Assert.Equal($"{operation}_failed", Single(Outcome.Decide(Pulumi(command, "--yes"), WithSummary("failed"), 1)));
    }

    [Fact]
    public void ASucceededSummarySendsItsResourceChangesAsTheyAre()
    {
        var outcome = Outcome.Decide(Pulumi("up"), WithSummary("succeeded", false, ("create", 2), ("same", 7)), 0);

        var stackEvent = Assert.Single(outcome.Events);
        Assert.Equal("update_succeeded", stackEvent.Name);
        Assert.Equal("""{"create":2,"same":7}""", stackEvent.Fields["resourceChanges"]!.ToJsonString());
    }

    [Theory]
    [InlineData("failed")]
    [InlineData("canceled")]
    public void FailedOrCanceledIsAFailure(string result) =>
        Assert.Equal("update_failed", Single(Outcome.Decide(Pulumi("up"), WithSummary(result), 8)));

    [Fact]
    public void APreviewSummaryIsAPreviewEventWhateverTheCommand()
    {
        Assert.Equal("preview_succeeded", Single(Outcome.Decide(Pulumi("preview"), WithSummary("succeeded", isPreview: true), 0)));
        Assert.Equal("preview_failed", Single(Outcome.Decide(Pulumi("up"), WithSummary("failed", isPreview: true), 1)));
    }

    [Theory]
    [InlineData(0, "update_succeeded")]
    [InlineData(1, "update_failed")]
    public void WithoutAResultTheExitCodeDecides(int exitCode, string expected) =>
        Assert.Equal(expected, Single(Outcome.Decide(Pulumi("up"), WithSummary(null, isPreview: null), exitCode)));

    [Fact]
    public void WithoutAPreviewFlagThePreviewCommandStillMakesAPreview()
    {
        Assert.Equal("preview_succeeded", Single(Outcome.Decide(Pulumi("preview"), WithSummary(null, isPreview: null), 0)));
        Assert.Equal("preview_failed", Single(Outcome.Decide(Pulumi("destroy", "--preview-only"), WithSummary(null, isPreview: null), 1)));
    }

    [Fact]
    public void NoSummaryAndAFailureIsAFailureWithNoChanges()
    {
        var outcome = Outcome.Decide(Pulumi("up", "--yes"), EngineEventLog.Empty, 1);

        var stackEvent = Assert.Single(outcome.Events);
        Assert.Equal("update_failed", stackEvent.Name);
        Assert.Equal("{}", stackEvent.Fields["resourceChanges"]!.ToJsonString());
        Assert.Equal("preview_failed", Single(Outcome.Decide(Pulumi("preview"), EngineEventLog.Empty, 2)));
    }

    [Fact]
    public void NoSummaryAndSuccessRecordsNothingAndWarns()
    {
        var outcome = Outcome.Decide(Pulumi("up"), EngineEventLog.Empty, 0);

        Assert.Empty(outcome.Events);
        Assert.Contains("no summary", outcome.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void AStackPulumiCannotFindRecordsNothing()
    {
        var outcome = Outcome.Decide(Pulumi("up", "-s", "tpyo"), EngineEventLog.Empty, Outcome.StackNotFoundExitCode);

        Assert.Empty(outcome.Events);
        Assert.NotNull(outcome.Warning);
    }

    [Fact]
    public void PolicyViolationsFollowTheOutcome()
    {
        var log = WithSummary("failed") with
        {
            PolicyViolations =
            [
                new PolicyViolation("aws-baseline", "s3-no-public-read", "mandatory", "urn:a", "Buckets must not be public"),
                new PolicyViolation("aws-baseline", "require-tags", "advisory", "urn:b", "Tag it"),
            ],
        };

        var outcome = Outcome.Decide(Pulumi("up"), log, 1);

        Assert.Equal(["update_failed", "policy_violation_mandatory", "policy_violation_advisory"], outcome.Events.Select(e => e.Name));
        var body = outcome.Events[1].ToBody("dep-1");
        Assert.Equal("policy_violation_mandatory", body["event"]!.GetValue<string>());
        Assert.Equal("aws-baseline", body["policyPack"]!.GetValue<string>());
        Assert.Equal("s3-no-public-read", body["policyName"]!.GetValue<string>());
        Assert.Equal("urn:a", body["resourceUrn"]!.GetValue<string>());
        Assert.Equal("Buckets must not be public", body["message"]!.GetValue<string>());
        Assert.Equal("dep-1", body["deploymentId"]!.GetValue<string>());
    }

    [Fact]
    public void AMessageLongerThanTheServerTakesIsCut()
    {
        var log = WithSummary("succeeded") with { PolicyViolations = [new PolicyViolation("p", "n", "advisory", "u", new string('x', 20_000))] };

        var message = Outcome.Decide(Pulumi("up"), log, 0).Events[1].Fields["message"]!.GetValue<string>();

        Assert.Equal(16 * 1024, message.Length);
    }

    [Fact]
    public void OtherCommandsRecordNothing() => Assert.Empty(Outcome.Decide(Pulumi("config", "set", "x", "y"), EngineEventLog.Empty, 1).Events);
}
