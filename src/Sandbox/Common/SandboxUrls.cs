using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Ferry.Sandbox.Common;

/// <summary>The sandbox's own root URL for links made outside a request (webhooks, demo traffic).</summary>
public sealed class SandboxUrls(IServer server, IConfiguration configuration)
{
    public string Root
    {
        get
        {
            var configured = configuration["Sandbox:PublicBaseUrl"];
            if (!string.IsNullOrEmpty(configured))
            {
                return configured.TrimEnd('/');
            }

            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost";
            return address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal)
                .Replace("://[::]", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).TrimEnd('/');
        }
    }
}
