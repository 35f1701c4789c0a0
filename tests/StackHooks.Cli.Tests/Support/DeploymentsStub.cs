using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace StackHooks.Cli.Tests.Support;

/// <summary>A request the stub got: method, path, Idempotency-Key and JSON body.</summary>
public sealed record StubRequest(string Method, string Path, string? IdempotencyKey, JsonObject? Body);

/// <summary>
/// A stand-in for the server's runner endpoints as SPEC §6.4 describes them, for testing the runner's side on its own:
/// <c>POST /api/orgs/{org}/deployments/claim</c> hands out the queued deployments oldest first (200) and then 204;
/// <c>PATCH …/deployments/{id}</c>, <c>POST …/events</c> and <c>POST /api/stacks/{org}/{project}</c> are recorded and
/// answered as the server answers them. Only the token <see cref="Token"/> is let in.
/// </summary>
public sealed class DeploymentsStub : IAsyncDisposable
{
    public const string Token = "pul-runner-stub-token";

    private readonly ConcurrentQueue<JsonObject> queue = new();
    private readonly ConcurrentQueue<StubRequest> requests = new();
    private WebApplication? app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<StubRequest> Requests => [.. requests];

    public static async Task<DeploymentsStub> StartAsync()
    {
        var stub = new DeploymentsStub();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(stub.HandleAsync);
        await app.StartAsync();
        stub.app = app;
        stub.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return stub;
    }

    /// <summary>Queues a deployment as a <c>pulumi_deployments</c> webhook would; returns its id.</summary>
    public string Queue(string project, string stack, string operation = "update")
    {
        var id = Guid.NewGuid().ToString();
        queue.Enqueue(new JsonObject
        {
            ["id"] = id,
            ["projectName"] = project,
            ["stackName"] = stack,
            ["operation"] = operation,
            ["status"] = "queued",
            ["version"] = queue.Count + 1,
            ["created"] = DateTimeOffset.UtcNow.ToString("O"),
            ["causedBy"] = new JsonArray(),
            ["message"] = "",
        });
        return id;
    }

    /// <summary>The statuses the runner set on deployment <paramref name="id"/>, in order, with their messages.</summary>
    public IReadOnlyList<(string Status, string? Message)> StatusesOf(string id) =>
        Requests.Where(r => r.Method == "PATCH" && r.Path.EndsWith($"/deployments/{id}", StringComparison.Ordinal))
            .Select(r => (r.Body!["status"]!.GetValue<string>(), r.Body["message"]?.GetValue<string>()))
            .ToList();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers.Authorization.ToString() != $"token {Token}")
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new { code = 401, message = "Unauthorized" });
            return;
        }

        var body = request.ContentLength > 0 ? await JsonNode.ParseAsync(request.Body) as JsonObject : null;
        var path = request.Path.Value ?? "";
        requests.Enqueue(new StubRequest(request.Method, path, request.Headers["Idempotency-Key"].FirstOrDefault(), body));
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (request.Method, segments)
        {
            case ("POST", ["api", "orgs", _, "deployments", "claim"]):
                if (queue.TryDequeue(out var deployment))
                {
                    deployment["status"] = "queued";
                    await context.Response.WriteAsJsonAsync(deployment);
                }
                else
                {
                    context.Response.StatusCode = 204;
                }

                break;
            case ("PATCH", ["api", "stacks", _, _, _, "deployments", _]):
                await context.Response.WriteAsJsonAsync(new { id = segments[^1], status = body?["status"]?.GetValue<string>() });
                break;
            case ("POST", ["api", "stacks", _, _, _, "events"]):
                context.Response.StatusCode = 202;
                await context.Response.WriteAsJsonAsync(new { id = Guid.NewGuid().ToString(), deliveries = 0 });
                break;
            case ("POST", ["api", "stacks", _, _]):
                context.Response.StatusCode = 409;
                await context.Response.WriteAsJsonAsync(new { code = 409, message = "Stack already exists." });
                break;
            default:
                context.Response.StatusCode = 404;
                await context.Response.WriteAsJsonAsync(new { code = 404, message = "Not found." });
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
