using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Microsoft.Extensions.FileProviders;

// Not StackHooks.Console: a namespace of that name would shadow System.Console in every StackHooks.* namespace.
namespace StackHooks.WebConsole;

/// <summary>
/// Serves the web console (SPEC §8): the static single-page app in <c>wwwroot</c>, at <c>/</c>, with a strict
/// Content-Security-Policy. The console is a client of the public REST API like any other; nothing here is an API.
/// Only GET and HEAD requests outside the API's own paths reach the files, so the console can never shadow an endpoint:
/// <c>/api/unknown</c> is still the API's JSON 404.
/// </summary>
public static class ConsoleHosting
{
    /// <summary>Everything the console loads comes from this origin; nothing may frame it, post it elsewhere or run inline code.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static readonly string[] ApiPrefixes = ["/api", "/openapi", "/docs", "/healthz", "/metrics"];

    public static WebApplication UseConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var files = FindConsoleFiles(app.Environment, app.Configuration);
        app.UseWhen(IsConsoleRequest, console =>
        {
            console.Use(static (context, next) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                // Revalidate on every load (ETag): a new version of the console is picked up at once.
                headers.CacheControl = "no-cache";
                return next(context);
            });
            console.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            console.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        });
        return app;
    }

    /// <summary>A GET or HEAD for a path that is not the API's, the API's documents, health or metrics.</summary>
    public static bool IsConsoleRequest(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            return false;
        }

        var path = context.Request.Path;
        return !ApiPrefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The console's files: the web root (<c>dotnet run</c>, a published app started from its folder), else a
    /// <c>wwwroot</c> beside the assembly (a published app started from elsewhere), else the build's static web assets
    /// manifest, which points at the source folder (a plain build started with <c>dotnet StackHooks.dll</c>).
    /// </summary>
    private static IFileProvider FindConsoleFiles(IWebHostEnvironment environment, IConfiguration configuration)
    {
        if (environment.WebRootFileProvider.GetFileInfo("index.html").Exists)
        {
            return environment.WebRootFileProvider;
        }

        var besideAssembly = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (File.Exists(Path.Combine(besideAssembly, "index.html")))
        {
            return new PhysicalFileProvider(besideAssembly);
        }

        StaticWebAssetsLoader.UseStaticWebAssets(environment, configuration);
        return environment.WebRootFileProvider;
    }
}
