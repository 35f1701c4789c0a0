using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using StackHooks.Tests.Support;
using static StackHooks.Tests.Delivery.DeliveryTestKit;

namespace StackHooks.Tests.Delivery;

/// <summary>
/// Runs alone, after the parallel test classes. OpenTelemetry's listeners are process-wide: while other apps of the test run
/// live in the same process, their providers also see this app's "StackHooks.Delivery" meter, and when one of them is disposed
/// this app's delivery metrics vanish from its /metrics. One app per process, as in production, does not have that problem.
/// </summary>
[CollectionDefinition(nameof(MetricsRunAlone), DisableParallelization = true)]
public sealed class MetricsRunAlone;

/// <summary>SPEC §9: /metrics in Prometheus text — deliveries by outcome, attempt latency, queue depth, oldest pending age.</summary>
[Collection(nameof(MetricsRunAlone))]
public sealed class DeliveryMetricsTests(StackHooksApp app) : IClassFixture<StackHooksApp>
{
    [Fact]
    public async Task MetricsCountAttemptsByOutcomeAndShowTheBacklog()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond("/fail", ReceiverResponse.Code(500));
        using var client = app.Admin();
        var org = await app.CreateOrganizationAsync();
        await app.CreateStackAsync(org, "proj", "dev");
        var place = HookPlace.OfStack(org, "proj", "dev");
        var ok = await client.CreateHookAsync(place, receiver.Url("/ok"));
        var failing = await client.CreateHookAsync(place, receiver.Url("/fail"));

        Assert.Equal("succeeded", (await (await client.PostAsync($"{ok}/ping", null)).AssertJsonAsync(HttpStatusCode.OK)).AsText("status"));
        Assert.Equal("failed", (await (await client.PostAsync($"{failing}/ping", null)).AssertJsonAsync(HttpStatusCode.OK)).AsText("status"));
        // With the default schedule the failed event delivery waits 5 s for its retry: it is the backlog.
        await client.PostEventAsync(StackEvents(org, "proj", "dev"), Event("update_succeeded"));
        var pendingId = (await client.WaitForDeliveriesAsync(failing, l => l.Count == 2 && l[0]!.AsInt("attempts") == 1))[0]!.AsText("id");
        Assert.Equal("pending", (await client.GetDeliveryAsync(failing, pendingId)).AsText("status"));

        using var anonymous = app.Anonymous();
        var deadline = DateTimeOffset.UtcNow + Patience;
        string text;
        while (true)
        {
            using var response = await anonymous.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
            text = await response.Content.ReadAsStringAsync();
            if (Sample(text, "stackhooks_deliveries_total", "outcome=\"succeeded\"") >= 2
                && Sample(text, "stackhooks_deliveries_total", "outcome=\"failed\"") >= 1
                && Sample(text, "stackhooks_deliveries_total", "outcome=\"retrying\"") >= 1
                && Sample(text, "stackhooks_delivery_queue_depth") >= 1)
            {
                break;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"/metrics never showed the deliveries:\n{text}");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        Assert.Contains("# TYPE stackhooks_deliveries_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE stackhooks_delivery_attempt_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.True(Sample(text, "stackhooks_delivery_attempt_duration_seconds_count") >= 4, text);
        Assert.True(Sample(text, "stackhooks_delivery_attempt_duration_seconds_bucket", "le=\"+Inf\"") >= 4, text);
        Assert.Contains("# TYPE stackhooks_delivery_queue_depth gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE stackhooks_delivery_oldest_due_age_seconds gauge", text, StringComparison.Ordinal);
        Assert.True(Sample(text, "stackhooks_delivery_oldest_due_age_seconds") >= 0, text);
    }

    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels contain <paramref name="label"/>; -1 when there is none.</summary>
    private static double Sample(string text, string metric, string? label = null)
    {
        foreach (Match match in Regex.Matches(text, $@"^{Regex.Escape(metric)}(\{{(?<labels>[^}}]*)\}})? (?<value>\S+)", RegexOptions.Multiline))
        {
            if (label is null || match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            {
                return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
