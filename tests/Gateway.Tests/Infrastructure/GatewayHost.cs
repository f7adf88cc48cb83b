using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Gateway.Api;
using Ferry.Gateway.Extensions;
using Ferry.Testing;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway (same wiring as Program.cs, the repository's appsettings.json) on Kestrel, on free
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

    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, Uri http, Uri grpc)
    {
        _app = app;
        HttpAddress = http;
        GrpcAddress = grpc;
        Http = new HttpClient { BaseAddress = http };
    }

    public Uri HttpAddress { get; }

    public Uri GrpcAddress { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static byte[] IntercomSecretBytes => Encoding.UTF8.GetBytes(IntercomSecret);

    public static byte[] ZendeskSecretBytes => Encoding.UTF8.GetBytes(ZendeskSecret);

    /// <param name="ticketsGrpc">TicketService's gRPC address; an address where nothing listens means "TicketService down".</param>
    public static async Task<GatewayHost> StartAsync(string redisConnectionString, Uri ticketsGrpc, IDictionary<string, string?>? settings = null, CapturingLoggerProvider? logs = null)
    {
        var httpPort = FreePort();
        var grpcPort = FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "Ferry.Gateway",
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddJsonFile(Path.Combine(LocalServer.RepositoryRoot, "src", "Gateway", "appsettings.json"), optional: false);
        var values = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}",
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{grpcPort.ToString(CultureInfo.InvariantCulture)}",
            ["ConnectionStrings:redis"] = redisConnectionString,
            ["services:tickets:grpc:0"] = ticketsGrpc.ToString(),
            ["Intercom:ClientSecret"] = IntercomSecret,
            ["Zendesk:WebhookSecret"] = ZendeskSecret,
            [$"{ApiKeyStore.Section}:{ApiClient}"] = ApiKeyStore.Hash(ApiKey),
            [$"{ApiKeyStore.Section}:{OtherApiClient}"] = ApiKeyStore.Hash(OtherApiKey),
            ["Gateway:Webhooks:EnqueueTimeout"] = "00:00:05",
            ["Gateway:Webhooks:RetryAfterSeconds"] = "7",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        builder.AddServiceDefaults();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.AddApplicationServices();
        var app = builder.Build();
        app.MapGateway();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new GatewayHost(app, new Uri($"http://127.0.0.1:{httpPort}/"), new Uri($"http://127.0.0.1:{grpcPort}/"));
    }

    public GrpcChannel GrpcChannel() => global::Grpc.Net.Client.GrpcChannel.ForAddress(GrpcAddress);

    /// <summary>An address on which nothing listens: TicketService is down.</summary>
    public static Uri NowhereAddress() => new($"http://127.0.0.1:{FreePort()}");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
