using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackHooks.Delivery;

namespace StackHooks.Tests.Delivery;

public sealed class DeliveryOptionsTests
{
    private static DeliveryOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddOptions<DeliveryOptions>().Bind(configuration.GetSection(DeliveryOptions.Section));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<DeliveryOptions>>().Value;
    }

    [Fact]
    public void DefaultsAreTheOnesInTheSpec()
    {
        var options = Bind([]);
        Assert.False(options.AllowPrivateNetworks);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Null(options.RetrySchedule);
        Assert.Equal(RetrySchedule.DefaultDelays, options.EffectiveRetrySchedule());
        Assert.Equal(128, options.MaxConcurrency);
        Assert.Equal(8, options.MaxConcurrencyPerWebhook);
        Assert.Equal(TimeSpan.FromDays(30), options.Retention);
        Assert.Equal(TimeSpan.FromMinutes(1), options.LeaseDuration);
        Assert.Equal(65536, DeliveryOptions.MaxResponseBodyBytes);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void EverySettingBindsFromItsKey()
    {
        var options = Bind(new()
        {
            ["StackHooks:Delivery:AllowPrivateNetworks"] = "true",
            ["StackHooks:Delivery:Timeout"] = "00:00:03",
            ["StackHooks:Delivery:RetrySchedule:0"] = "00:00:01",
            ["StackHooks:Delivery:RetrySchedule:1"] = "00:01:00",
            ["StackHooks:Delivery:MaxConcurrency"] = "8",
            ["StackHooks:Delivery:MaxConcurrencyPerWebhook"] = "2",
            ["StackHooks:Delivery:Retention"] = "7.00:00:00",
            ["StackHooks:Delivery:LeaseDuration"] = "00:00:30",
        });
        Assert.True(options.AllowPrivateNetworks);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Timeout);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)], options.EffectiveRetrySchedule());
        Assert.Equal(8, options.MaxConcurrency);
        Assert.Equal(2, options.MaxConcurrencyPerWebhook);
        Assert.Equal(TimeSpan.FromDays(7), options.Retention);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LeaseDuration);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void AConfiguredScheduleReplacesTheDefaultInsteadOfBeingAppended()
    {
        var options = Bind(new() { ["StackHooks:Delivery:RetrySchedule:0"] = "00:00:02" });
        Assert.Equal([TimeSpan.FromSeconds(2)], options.EffectiveRetrySchedule());
        Assert.Equal(2, new RetrySchedule(options.EffectiveRetrySchedule()).MaxAttempts);
    }

    [Fact]
    public void AnEmptyScheduleValueMeansNoAutomaticRetry()
    {
        // What StackHooks__Delivery__RetrySchedule= (an empty environment variable) gives.
        var options = Bind(new() { ["StackHooks:Delivery:RetrySchedule"] = "" });
        Assert.NotNull(options.RetrySchedule);
        Assert.Empty(options.EffectiveRetrySchedule());
        Assert.Equal(1, new RetrySchedule(options.EffectiveRetrySchedule()).MaxAttempts);
    }

    [Fact]
    public void AnEmptyJsonArrayMeansNoAutomaticRetryAndAJsonArrayIsTheSchedule()
    {
        static DeliveryOptions FromJson(string json)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
            var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
            var options = new DeliveryOptions();
            configuration.GetSection(DeliveryOptions.Section).Bind(options);
            return options;
        }

        Assert.Empty(FromJson("""{"StackHooks": {"Delivery": {"RetrySchedule": []}}}""").EffectiveRetrySchedule());
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)],
            FromJson("""{"StackHooks": {"Delivery": {"RetrySchedule": ["00:00:05", "00:01:00"]}}}""").EffectiveRetrySchedule());
    }

    [Fact]
    public void UnusableSettingsAreReported()
    {
        var options = new DeliveryOptions
        {
            Timeout = TimeSpan.Zero,
            RetrySchedule = [TimeSpan.FromSeconds(-1)],
            MaxConcurrency = 0,
            MaxConcurrencyPerWebhook = 0,
            Retention = TimeSpan.Zero,
        };
        var problems = options.Validate();
        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("Timeout", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("RetrySchedule", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("MaxConcurrencyPerWebhook", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Retention", StringComparison.Ordinal));
    }

    [Fact]
    public void TheLeaseMustOutlastAnAttempt()
    {
        var options = new DeliveryOptions { Timeout = TimeSpan.FromMinutes(2) };
        Assert.Equal(["StackHooks:Delivery:LeaseDuration must be longer than StackHooks:Delivery:Timeout."], options.Validate());
    }
}
