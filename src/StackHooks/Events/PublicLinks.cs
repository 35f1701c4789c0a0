using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace StackHooks.Events;

/// <summary>
/// Builds the links in payloads from <c>StackHooks:PublicUrl</c>, or from the first address the server listens on.
/// </summary>
public sealed class PublicLinks(IOptions<StackHooksOptions> options, IServer server)
{
    private string? baseUrl;

    public string BaseUrl => baseUrl ??= Resolve();

    public string Stack(string org, string project, string stack) => $"{BaseUrl}/{org}/{project}/{stack}";

    public string Update(string org, string project, string stack, long version) => $"{Stack(org, project, stack)}/updates/{version}";

    public string Preview(string org, string project, string stack, string eventId) => $"{Stack(org, project, stack)}/previews/{eventId}";

    public string Deployment(string org, string project, string stack, long version) => $"{Stack(org, project, stack)}/deployments/{version}";

    public string Environment(string org, string project, string env) => $"{BaseUrl}/{org}/esc/{project}/{env}";

    private string Resolve()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicUrl))
        {
            return options.Value.PublicUrl.TrimEnd('/');
        }

        var first = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? Operations.DefaultUrl;
        // A wildcard listen address is no address to put in a link.
        return first.Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .TrimEnd('/');
    }
}
