using Ferry.AttachmentService.Api;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Net.Client;

namespace Ferry.AttachmentService.Tests;

/// <summary>
/// The real AttachmentService (its Program, on free loopback ports), pointed at a sandbox,
/// with a real gRPC client. Loopback and plain http are allowed only for the hosts named here.
/// </summary>
public sealed class AttachmentServiceHost : IAsyncDisposable
{
    private readonly ServiceHost<AttachmentsApi> _host;
    private readonly GrpcChannel _channel;

    private AttachmentServiceHost(ServiceHost<AttachmentsApi> host)
    {
        _host = host;
        _channel = host.CreateGrpcChannel(new GrpcChannelOptions { MaxSendMessageSize = 8 * 1024 * 1024 });
        Client = new Attachments.AttachmentsClient(_channel);
    }

    public Uri Address => _host.GrpcAddress;

    public Attachments.AttachmentsClient Client { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>Hosts the tests may name besides the sandbox: private literals are on the list so the address check is what refuses them.</summary>
    public static readonly string[] TestHosts = AttachmentServiceSettings.TestHosts;

    public static Task<AttachmentServiceHost> StartAsync(SandboxServer sandbox, IDictionary<string, string?>? settings = null)
    {
        // No Redis here: the shared rate budget runs unpaced, as in a Redis outage (a free port is a closed one).
        var configuration = AttachmentServiceSettings.For(sandbox, $"127.0.0.1:{LocalServer.FreeLoopbackPort()},abortConnect=false,connectTimeout=200");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        return Task.FromResult(new AttachmentServiceHost(new ServiceHost<AttachmentsApi>(configuration).Start()));
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }
}
