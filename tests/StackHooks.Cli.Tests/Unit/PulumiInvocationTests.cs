using StackHooks.Cli.Pulumi;

namespace StackHooks.Cli.Tests.Unit;

public class PulumiInvocationTests
{
    private static PulumiInvocation Parse(params string[] arguments) => PulumiInvocation.Parse(["pulumi", .. arguments]);

    [Theory]
    [InlineData(PulumiCommand.Up, "up", "--yes")]
    [InlineData(PulumiCommand.Up, "update")]
    [InlineData(PulumiCommand.Preview, "preview")]
    [InlineData(PulumiCommand.Preview, "pre")]
    [InlineData(PulumiCommand.Destroy, "destroy")]
    [InlineData(PulumiCommand.Destroy, "down")]
    [InlineData(PulumiCommand.Destroy, "dn")]
    [InlineData(PulumiCommand.Refresh, "refresh")]
    [InlineData(PulumiCommand.Import, "import", "aws:s3/bucket:Bucket", "b", "my-bucket")]
    [InlineData(PulumiCommand.StackInit, "stack", "init", "dev")]
    [InlineData(PulumiCommand.StackRm, "stack", "rm", "dev", "--yes")]
    [InlineData(PulumiCommand.Other, "stack", "select", "dev")]
    [InlineData(PulumiCommand.Other, "stack", "--show-name")]
    [InlineData(PulumiCommand.Other, "config", "set", "up", "x")]
    [InlineData(PulumiCommand.Other, "--version")]
    [InlineData(PulumiCommand.Other)]
    public void FindsTheCommand(PulumiCommand expected, params string[] arguments) => Assert.Equal(expected, Parse(arguments).Command);

    [Fact]
    public void GlobalFlagsBeforeTheCommandAreSkippedWithTheirValues()
    {
        var invocation = Parse("--color", "never", "-C", "infra", "--non-interactive", "-v", "3", "--tracing", "file:/tmp/t", "up", "--yes");

        Assert.Equal(PulumiCommand.Up, invocation.Command);
        Assert.Equal(9, invocation.CommandIndex);
        Assert.Equal("infra", invocation.Cwd);
    }

    [Fact]
    public void AGlobalFlagValueThatLooksLikeACommandIsNotTheCommand() =>
        Assert.Equal(PulumiCommand.Other, Parse("--cwd", "up", "about").Command);

    [Theory]
    [InlineData("dev", "up", "-s", "dev")]
    [InlineData("dev", "up", "--stack", "dev")]
    [InlineData("dev", "up", "--stack=dev")]
    [InlineData("dev", "up", "-s=dev")]
    [InlineData("dev", "up", "-sdev")]
    [InlineData("dev", "up", "-ys", "dev")]
    [InlineData("acme/shop/dev", "--cwd", "x", "destroy", "--yes", "--stack", "acme/shop/dev")]
    [InlineData(null, "up", "--yes")]
    [InlineData(null, "up", "--message", "-s")]
    public void ReadsTheStack(string? expected, params string[] arguments) => Assert.Equal(expected, Parse(arguments).StackFlag);

    [Fact]
    public void CwdMayFollowTheCommand()
    {
        Assert.Equal("infra", Parse("up", "-C", "infra").Cwd);
        Assert.Equal("infra", Parse("up", "--cwd=infra").Cwd);
    }

    [Theory]
    [InlineData("dev", "stack", "init", "dev")]
    [InlineData("acme/dev", "stack", "init", "--secrets-provider", "passphrase", "acme/dev")]
    [InlineData("dev", "stack", "init", "-s", "dev")]
    [InlineData("dev", "stack", "init", "--copy-config-from", "prod", "dev", "--no-select")]
    [InlineData("dev", "stack", "rm", "--yes", "--force", "dev")]
    [InlineData(null, "stack", "rm", "--yes")]
    [InlineData("dev", "--cwd", "infra", "stack", "rm", "-y", "--stack", "dev")]
    public void ReadsTheStackOfStackInitAndRm(string? expected, params string[] arguments) => Assert.Equal(expected, Parse(arguments).NamedStack?.ToString());

    [Fact]
    public void TheEventLogGoesRightAfterTheCommandWord()
    {
        var invocation = Parse("--color", "never", "up", "--yes", "-s", "dev", "--", "ignored");

        Assert.Equal(["--color", "never", "up", "--event-log", "/tmp/e.jsonl", "--yes", "-s", "dev", "--", "ignored"], invocation.ArgumentsWithEventLog("/tmp/e.jsonl"));
    }

    [Fact]
    public void AGivenEventLogIsNoticed()
    {
        Assert.Equal("mine.jsonl", Parse("up", "--event-log", "mine.jsonl").EventLogFlag);
        Assert.Equal("mine.jsonl", Parse("up", "--event-log=mine.jsonl").EventLogFlag);
    }

    [Fact]
    public void PreviewOnlyAndRemoveAreNoticed()
    {
        Assert.True(Parse("destroy", "--preview-only").PreviewOnly);
        Assert.False(Parse("destroy", "--preview-only=false").PreviewOnly);
        Assert.True(Parse("destroy", "--yes", "--remove").RemoveStack);
    }

    [Theory]
    [InlineData("pulumi", true)]
    [InlineData("/usr/local/bin/pulumi", true)]
    [InlineData(@"C:\Program Files\Pulumi\pulumi.exe", true)]
    [InlineData("./scripts/deploy.sh", false)]
    [InlineData("pulumi-language-nodejs", false)]
    public void RecognisesPulumiByItsFileName(string program, bool expected) => Assert.Equal(expected, PulumiInvocation.IsPulumiProgram(program));

    [Fact]
    public void AnotherProgramIsRunAsItIs()
    {
        var invocation = PulumiInvocation.Parse(["terraform", "apply", "-s", "dev"]);

        Assert.Equal(PulumiCommand.Other, invocation.Command);
        Assert.Null(invocation.StackFlag);
    }

    [Theory]
    [InlineData("dev", null, null, "dev")]
    [InlineData("acme/dev", "acme", null, "dev")]
    [InlineData("organization/shop/dev", "organization", "shop", "dev")]
    public void StackReferencesHaveUpToThreeParts(string reference, string? org, string? project, string stack) =>
        Assert.Equal(new StackReference(org, project, stack), StackReference.Parse(reference));

    [Theory]
    [InlineData("")]
    [InlineData("a//b")]
    [InlineData("a/b/c/d")]
    public void MalformedStackReferencesAreNone(string reference) => Assert.Null(StackReference.Parse(reference));
}
