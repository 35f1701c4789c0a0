using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using StackHooks.Accounts;
using StackHooks.Api;
using StackHooks.Delivery;
using StackHooks.Security;
using StackHooks.Storage;
using StackHooks.WebConsole;
using StackHooks.Webhooks;

namespace StackHooks;

/// <summary>Wiring of the cross-cutting parts: options, storage, authentication, errors, OpenAPI and health.</summary>
public static class Operations
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static WebApplicationBuilder AddStackHooks(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = ErrorHandling.MaxBodyBytes;
            // Above our own URL limit, so that an over-long URL reaches the pipeline and gets a JSON 414.
            kestrel.Limits.MaxRequestLineSize = 64 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 128 * 1024;
            kestrel.AddServerHeader = false;
        });

        var services = builder.Services;
        services.AddOptions<StackHooksOptions>().BindConfiguration(StackHooksOptions.Section).ValidateOnStart();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptions.Validator>();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Database>();
        services.AddHostedService<WalCheckpointer>();
        services.AddSingleton<SecretBox>();
        services.AddDelivery();

        services.AddAuthentication(TokenAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthentication>(TokenAuthentication.SchemeName, null);
        services.AddAuthorization();
        services.AddApiErrorHandling();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Encoder = ApiJson.Options.Encoder);
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "StackHooks API";
            document.Info.Description = "Pulumi Cloud-compatible webhooks. Authenticate with \"Authorization: token <access-token>\".";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[TokenAuthentication.SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "Authorization",
                Description = "The value \"token <access-token>\".",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(TokenAuthentication.SchemeName, document)] = [] });
            return Task.CompletedTask;
        }));
        return builder;
    }

    /// <summary>Migrates the database and creates the first site administrator before the server listens.</summary>
    public static async Task InitializeAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Services.GetRequiredService<Database>().Migrate();
        _ = app.Services.GetRequiredService<SecretBox>(); // creates or checks the secrets key now, not on the first request
        await Bootstrap.EnsureSiteAdminAsync(app.Services);
    }

    public static WebApplication UseStackHooks(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseApiErrorHandling();
        app.UseConsole();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            ResponseWriter = static (context, report) =>
            {
                context.Response.ContentType = "application/json";
                return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["status"] = report.Status.ToString() }));
            },
        });
        app.MapMetrics();
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", options => options.WithTitle("StackHooks API"));
        return app;
    }

    private sealed class DatabaseHealthCheck(Database database) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                await connection.ExecuteScalarAsync<long>("SELECT 1");
                return HealthCheckResult.Healthy();
            }
            catch (Exception exception) when (exception is System.Data.Common.DbException or IOException)
            {
                return HealthCheckResult.Unhealthy("The database cannot be reached.", exception);
            }
        }
    }
}
