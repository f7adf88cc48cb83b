using Grpc.Net.Client;

namespace Ferry.Cli.Commands;

/// <summary>
/// What every command takes: where the gateway is and how to authenticate (flags override FERRY_GATEWAY /
/// FERRY_API_KEY), and --json for scripts.
/// </summary>
internal class GatewaySettings : CommandSettings
{
    [CommandOption("--gateway <URL>")]
    [Description("Gateway gRPC address (default: $FERRY_GATEWAY, else http://localhost:5101).")]
    public string? Gateway { get; init; }

    [CommandOption("--api-key <KEY>")]
    [Description("API key for the Sync API (default: $FERRY_API_KEY).")]
    public string? ApiKey { get; init; }

    [CommandOption("--json")]
    [Description("For scripts: the reply in proto3 JSON on stdout (one object per line for lists and streams); a refused call as {\"code\",\"detail\"} on stderr.")]
    public bool Json { get; init; }

    public string Address => Gateway ?? Environment.GetEnvironmentVariable("FERRY_GATEWAY") ?? "http://localhost:5101";

    /// <summary>A channel to the gateway carrying the API key (the Sync API and the identity operator calls).</summary>
    public GrpcChannel CreateChannel()
    {
        var address = Address;
        var apiKey = ApiKey ?? Environment.GetEnvironmentVariable("FERRY_API_KEY");
        var options = new GrpcChannelOptions();
        if (!string.IsNullOrEmpty(apiKey))
        {
            var credentials = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("x-api-key", apiKey);
                return Task.CompletedTask;
            });
            // TLS (an Ingress) carries the key safely; cleartext is for a local or port-forwarded gateway.
            var https = address.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            options.Credentials = ChannelCredentials.Create(https ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials);
            options.UnsafeUseInsecureChannelCallCredentials = !https;
        }

        return GrpcChannel.ForAddress(address, options);
    }
}
