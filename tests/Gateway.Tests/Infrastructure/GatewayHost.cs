using System.Text;
using Ferry.Gateway.Api;
using Ferry.Testing;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway (its Program and appsettings.json, production environment) on Kestrel, on free
/// loopback ports: <c>http</c> (HTTP/1.1, webhooks) and <c>grpc</c> (HTTP/2, Sync API).
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string IntercomSecret = "test-intercom-client-secret";
    public const string ZendeskSecret = "test-zendesk-webhook-secret";
    public const string ApiKey = "test-api-key-for-ops";
    public const string ApiClient = "ops";
    public const string OtherApiKey = "test-api-key-for-cli";
    public const string OtherApiClient = "cli";

    private readonly ServiceHost<ApiKeyStore> _host;

    private GatewayHost(ServiceHost<ApiKeyStore> host)
    {
        _host = host;
        Http = host.CreateHttpClient();
    }

    public Uri HttpAddress => _host.HttpAddress;

    public Uri GrpcAddress => _host.GrpcAddress;

    public HttpClient Http { get; }

    public IServiceProvider Services => _host.Services;

    public static byte[] IntercomSecretBytes => Encoding.UTF8.GetBytes(IntercomSecret);

    public static byte[] ZendeskSecretBytes => Encoding.UTF8.GetBytes(ZendeskSecret);

    /// <param name="ticketsGrpc">TicketService's gRPC address; an address where nothing listens means "TicketService down".</param>
    public static Task<GatewayHost> StartAsync(string redisConnectionString, Uri ticketsGrpc, IDictionary<string, string?>? settings = null, CapturingLoggerProvider? logs = null)
    {
        var host = new ServiceHost<ApiKeyStore>(Settings(redisConnectionString, ticketsGrpc, settings), web => web.ConfigureLogging(logging =>
        {
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        }));
        return Task.FromResult(new GatewayHost(host.Start()));
    }

    /// <summary>The same gateway as another machine runs it (<see cref="GatewayProcess"/>), serving at <paramref name="httpAddress"/>.</summary>
    public static Task<ServiceProcess> StartProcessAsync(Uri httpAddress, string redisConnectionString, Uri ticketsGrpc, IDictionary<string, string?>? settings = null) =>
        GatewayProcess.StartAsync(httpAddress, new Uri($"http://127.0.0.1:{FreePort()}"), Settings(redisConnectionString, ticketsGrpc, settings));

    private static Dictionary<string, string?> Settings(string redisConnectionString, Uri ticketsGrpc, IDictionary<string, string?>? settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["environment"] = Environments.Production,
            ["ConnectionStrings:redis"] = redisConnectionString,
            ["services:tickets:grpc:0"] = ticketsGrpc.ToString(),
            ["Intercom:ClientSecret"] = IntercomSecret,
            ["Zendesk:WebhookSecret"] = ZendeskSecret,
            [$"{ApiKeyStore.Section}:{ApiClient}"] = ApiKeyStore.Hash(ApiKey),
            [$"{ApiKeyStore.Section}:{OtherApiClient}"] = ApiKeyStore.Hash(OtherApiKey),
            ["Gateway:Webhooks:EnqueueTimeout"] = "00:00:05",
            ["Gateway:Webhooks:RetryAfterSeconds"] = "7",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return values;
    }

    public GrpcChannel GrpcChannel() => global::Grpc.Net.Client.GrpcChannel.ForAddress(GrpcAddress);

    /// <summary>An address on which nothing listens: TicketService is down.</summary>
    public static Uri NowhereAddress() => new($"http://127.0.0.1:{FreePort()}");

    public static int FreePort() => LocalServer.FreeLoopbackPort();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _host.DisposeAsync();
    }
}
