using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using StackHooks.Events;

namespace StackHooks.Delivery;

/// <summary>Registers the delivery engine: recorder, queue, sender, dispatcher, upkeep and metrics.</summary>
public static class DeliveryServices
{
    public static IServiceCollection AddDelivery(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeliveryOptions>, DeliveryOptionsValidator>();
        services.AddSingleton(sp => new RetrySchedule(sp.GetRequiredService<IOptions<DeliveryOptions>>().Value.EffectiveRetrySchedule()));
        services.AddSingleton<PublicLinks>();
        services.AddSingleton<EventRecorder>();
        services.AddSingleton<DeliverySignal>();
        services.AddSingleton<DeliveryQueue>();
        services.AddSingleton<DeliveryMetrics>();
        services.AddSingleton<Sender>();
        services.AddSingleton<Deployments.DeploymentTrigger>();
        services.AddHostedService<Dispatcher>(); // stays idle when StackHooks:Delivery:Dispatch is false
        services.AddHostedService<DeliveryMaintenance>();
        services.AddHostedService<ClusterWakeups>();

        // The dispatcher owns retries: no resilience handler, no per-request logging (payload URLs can be secrets,
        // e.g. Slack's), one long-lived handler so connections to receivers are pooled.
        services.AddHttpClient(Sender.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => Sender.CreateHandler(sp.GetRequiredService<IOptions<DeliveryOptions>>().Value))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();

        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(DeliveryMetrics.MeterName)
            .AddPrometheusExporter());
        return services;
    }

    private sealed class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>
    {
        public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
