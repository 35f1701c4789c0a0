using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using StackHooks.Formats;

namespace StackHooks.Tests.Formats;

/// <summary>
/// Every example message and every edge case, checked by the vendors' own libraries: Slack's types under
/// <c>tsc --strict</c> (plus Slack's documented limits) and Microsoft's <c>adaptivecards</c> parser, through the node
/// scripts in tests/formats-validation (installed by ./test.sh).
/// </summary>
public sealed class VendorValidationTests
{
    private static readonly string ValidationDirectory = Path.Combine(GoldenFiles.RepositoryRoot, "tests", "formats-validation");

    [Fact]
    public Task SlackMessagesAreValidForSlacksOwnTypesAndWithinItsLimits() =>
        CheckAsync("check-slack.mjs", SlackMessage.Render);

    [Fact]
    public Task TeamsMessagesParseWithoutErrorsOrWarningsInMicrosoftsAdaptiveCardsLibrary() =>
        CheckAsync("check-teams.mjs", TeamsMessage.Render);

    private static async Task CheckAsync(string script, Func<string, string, JsonObject, JsonObject> render)
    {
        Assert.True(Directory.Exists(Path.Combine(ValidationDirectory, "node_modules")),
            $"{ValidationDirectory}/node_modules is missing: run ./test.sh (or npm ci --prefix tests/formats-validation) first.");

        var messages = Directory.CreateTempSubdirectory("stackhooks-formats-");
        try
        {
            foreach (var (eventName, kind) in FormatExamples.Events)
            {
                await WriteAsync(messages, eventName, render(eventName, kind, FormatExamples.Raw(eventName)));
            }

            foreach (var (name, eventName, kind, raw) in FormatExamples.EdgeCases())
            {
                await WriteAsync(messages, name, render(eventName, kind, raw));
            }

            var (exitCode, output) = await RunNodeAsync(Path.Combine(ValidationDirectory, script), messages.FullName);
            Assert.True(exitCode == 0, $"node {script} failed (exit code {exitCode}):\n{output}");
        }
        finally
        {
            messages.Delete(recursive: true);
        }
    }

    private static Task WriteAsync(DirectoryInfo directory, string name, JsonObject message) =>
        File.WriteAllTextAsync(Path.Combine(directory.FullName, name + ".json"), GoldenFiles.Pretty(message),
            TestContext.Current.CancellationToken);

    private static async Task<(int ExitCode, string Output)> RunNodeAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = ValidationDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"Could not run node ({e.Message}): install Node.js and run ./test.sh.");
            throw;
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            return (process.ExitCode, (await stdout + await stderr).Trim());
        }
    }
}
