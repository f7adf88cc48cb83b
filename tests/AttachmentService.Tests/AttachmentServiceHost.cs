using Ferry.V1;
using Ferry.Testing;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.AttachmentService.Tests;

/// <summary>
/// The real AttachmentService on a free loopback port (its gRPC endpoint only), pointed at a sandbox,
/// with a real gRPC client. Loopback and plain http are allowed only for the hosts named here.
/// </summary>
public sealed class AttachmentServiceHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private AttachmentServiceHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxSendMessageSize = 8 * 1024 * 1024 });
        Client = new Attachments.AttachmentsClient(_channel);
    }

    public Uri Address { get; }

    public Attachments.AttachmentsClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Hosts the tests may name besides the sandbox: private literals are on the list so the address check is what refuses them.</summary>
    public static readonly string[] TestHosts = ["127.0.0.1", "10.0.0.1", "169.254.169.254"];

    public static async Task<AttachmentServiceHost> StartAsync(SandboxServer sandbox, IDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>(sandbox.VendorSettings)
        {
            ["Kestrel:Endpoints:grpc:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Attachments:AllowLoopback"] = "true",
            ["Attachments:RetryBaseDelay"] = "00:00:00.050",
            // No Redis here: the shared rate budget runs unpaced, as in a Redis outage (a free port is a closed one).
            ["ConnectionStrings:redis"] = $"127.0.0.1:{LocalServer.FreeLoopbackPort()},abortConnect=false,connectTimeout=200",
        };
        for (var i = 0; i < TestHosts.Length; i++)
        {
            configuration[$"Attachments:AllowedHosts:{i}"] = TestHosts[i];
            configuration[$"Attachments:AllowInsecureHttpForHosts:{i}"] = TestHosts[i];
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var app = AttachmentServiceApp.Build([], builder =>
        {
            // Only these settings: no appsettings.json from whichever project's output this runs in.
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(configuration);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new AttachmentServiceHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
