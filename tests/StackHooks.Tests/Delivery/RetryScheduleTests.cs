using System.Net.Http.Headers;
using StackHooks.Delivery;

namespace StackHooks.Tests.Delivery;

public sealed class RetryScheduleTests
{
    private static readonly TimeSpan[] Spec =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
        TimeSpan.FromHours(8), TimeSpan.FromHours(12),
    ];

    /// <summary>A jitter source in the middle of [0, 1): no jitter at all.</summary>
    private static RetrySchedule NoJitter(IReadOnlyList<TimeSpan> delays) => new(delays, () => 0.5);

    [Fact]
    public void TheDefaultScheduleIsTheOneInTheSpec()
    {
        Assert.Equal(Spec, RetrySchedule.DefaultDelays);
        Assert.Equal(11, new RetrySchedule(RetrySchedule.DefaultDelays).MaxAttempts);
    }

    [Fact]
    public void WithoutJitterEachFailedAttemptWaitsItsNominalDelayAndTheLastGetsNoRetry()
    {
        var schedule = NoJitter(RetrySchedule.DefaultDelays);
        var delays = Enumerable.Range(1, 10).Select(attempts => schedule.NextDelay(attempts, null)).ToArray();
        Assert.Equal(Spec.Select(d => (TimeSpan?)d), delays);
        Assert.Null(schedule.NextDelay(11, null));
        Assert.Null(schedule.NextDelay(12, null));
    }

    [Fact]
    public void JitterStaysWithinTwentyPercentAndUsesTheWholeRange()
    {
        var random = new Random(20240611);
        var schedule = new RetrySchedule(RetrySchedule.DefaultDelays, random.NextDouble);
        for (var attempts = 1; attempts <= 10; attempts++)
        {
            var nominal = Spec[attempts - 1];
            var ratios = Enumerable.Range(0, 5000).Select(_ => schedule.NextDelay(attempts, null)!.Value / nominal).ToArray();
            Assert.All(ratios, r => Assert.InRange(r, 0.8, 1.2));
            Assert.True(ratios.Min() < 0.81, $"step {attempts}: smallest ratio {ratios.Min()}");
            Assert.True(ratios.Max() > 1.19, $"step {attempts}: largest ratio {ratios.Max()}");
            Assert.InRange(ratios.Average(), 0.99, 1.01);
        }
    }

    [Theory]
    [InlineData(0.0, 24_000)]
    [InlineData(0.25, 27_000)]
    [InlineData(0.75, 33_000)]
    [InlineData(1.0, 36_000)]
    [InlineData(-5.0, 24_000)]
    [InlineData(7.0, 36_000)]
    public void TheJitterSourceMapsLinearlyOntoPlusMinusTwentyPercent(double sample, int expectedMilliseconds)
    {
        var schedule = new RetrySchedule(RetrySchedule.DefaultDelays, () => sample);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), schedule.NextDelay(2, null));
    }

    [Fact]
    public void AnEmptyScheduleMeansOneTryAndNoRetry()
    {
        var schedule = NoJitter([]);
        Assert.Equal(1, schedule.MaxAttempts);
        Assert.Null(schedule.NextDelay(1, null));
        Assert.Null(schedule.NextDelay(1, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void ACustomScheduleIsCopied()
    {
        TimeSpan[] delays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];
        var schedule = NoJitter(delays);
        delays[0] = TimeSpan.FromHours(1);
        Assert.Equal(3, schedule.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), schedule.NextDelay(1, null));
        Assert.Equal(TimeSpan.FromSeconds(2), schedule.NextDelay(2, null));
        Assert.Null(schedule.NextDelay(3, null));
    }

    [Theory]
    [InlineData(3, 45, 45)]      // sooner than the 2 min step: honoured
    [InlineData(2, 33, 33)]      // later than the 30 s step but within its cap of 36 s: honoured
    [InlineData(2, 36, 36)]      // exactly the cap
    [InlineData(2, 37, 36)]      // beyond the cap: capped
    [InlineData(1, 3600, 6)]     // an hour asked at the 5 s step: 6 s
    [InlineData(10, 86400, 51840)] // a day asked at the 12 h step: 14.4 h
    [InlineData(4, 0, 0)]
    public void RetryAfterReplacesTheJitteredDelayUpToTheStepsCap(int attempts, int retryAfterSeconds, int expectedSeconds)
    {
        var schedule = new RetrySchedule(RetrySchedule.DefaultDelays, () => 0.999);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), schedule.NextDelay(attempts, TimeSpan.FromSeconds(retryAfterSeconds)));
    }

    [Fact]
    public void RetryAfterIsNeverNegativeAndNeverBuysAnExtraAttempt()
    {
        var schedule = NoJitter(RetrySchedule.DefaultDelays);
        Assert.Equal(TimeSpan.Zero, schedule.NextDelay(1, TimeSpan.FromSeconds(-10)));
        Assert.Null(schedule.NextDelay(11, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new RetrySchedule([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(-1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => NoJitter(RetrySchedule.DefaultDelays).NextDelay(0, null));
    }

    [Fact]
    public void HugeDelaysDoNotOverflow()
    {
        var schedule = new RetrySchedule([TimeSpan.MaxValue], () => 0.999);
        Assert.Equal(TimeSpan.MaxValue, schedule.NextDelay(1, null));
        Assert.Equal(TimeSpan.MaxValue, schedule.NextDelay(1, TimeSpan.MaxValue));
    }

    private static readonly DateTimeOffset Now = new(2015, 10, 21, 7, 28, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("120", 120.0)]
    [InlineData("0", 0.0)]
    [InlineData("Wed, 21 Oct 2015 07:29:30 GMT", 90.0)]
    [InlineData("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)]
    [InlineData("Tue, 20 Oct 2015 07:28:00 GMT", 0.0)]
    [InlineData("Wednesday, 21-Oct-15 08:28:00 GMT", 3600.0)]
    public void RetryAfterIsReadInBothForms(string header, double expectedSeconds)
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("Retry-After", header);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetrySchedule.ParseRetryAfter(response.Headers, Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public void AMissingOrUnreadableRetryAfterIsNull(string? header)
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable);
        if (header is not null)
        {
            response.Headers.TryAddWithoutValidation("Retry-After", header);
        }

        Assert.Null(RetrySchedule.ParseRetryAfter(response.Headers, Now));
    }

    [Fact]
    public void ARetryAfterSetThroughTheTypedHeaderIsRead()
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
        Assert.Equal(TimeSpan.FromSeconds(7), RetrySchedule.ParseRetryAfter(response.Headers, Now));
    }
}
