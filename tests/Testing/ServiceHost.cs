using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Ferry.Testing;

/// <summary>
/// A Ferry service started in-process through its real Program (the one production runs), with
/// <paramref name="settings"/> over its appsettings.json, served by Kestrel on free loopback ports —
/// <c>http</c> (HTTP/1.1) and <c>grpc</c> (HTTP/2) — so other services and clients reach it over the network
/// as deployed. <typeparamref name="TEntryPoint"/> is any public type of the service's assembly.
/// </summary>
public class ServiceHost<TEntryPoint> : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IWebHostBuilder>? _configure;

    /// <param name="configure">More test wiring, e.g. a logger provider that captures what the service logs.</param>
    public ServiceHost(IReadOnlyDictionary<string, string?> settings, Action<IWebHostBuilder>? configure = null)
    {
        _configure = configure;
        _settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{LocalServer.FreeLoopbackPort()}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{LocalServer.FreeLoopbackPort()}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }

        HttpAddress = new Uri(_settings["Kestrel:Endpoints:http:Url"]!);
        GrpcAddress = new Uri(_settings["Kestrel:Endpoints:grpc:Url"]!);
        UseKestrel();
    }

    public Uri HttpAddress { get; }

    public Uri GrpcAddress { get; }

    /// <summary>Starts the service (migrations included: they run as its host starts); idempotent.</summary>
    public ServiceHost<TEntryPoint> Start()
    {
        StartServer();
        return this;
    }

    public GrpcChannel CreateGrpcChannel(GrpcChannelOptions? options = null) => GrpcChannel.ForAddress(GrpcAddress, options ?? new GrpcChannelOptions());

    public HttpClient CreateHttpClient() => new() { BaseAddress = HttpAddress };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The service's own folder (its appsettings.json), also from a benchmark, whose assembly has no
        // WebApplicationFactoryContentRoot attribute for the factory to find it by: Ferry.X lives in src/X.
        builder.UseContentRoot(Path.Combine(LocalServer.RepositoryRoot, "src", typeof(TEntryPoint).Assembly.GetName().Name!["Ferry.".Length..]));

        // Settings, not configuration sources: the service reads some while it registers (connection strings).
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        _configure?.Invoke(builder);
    }
}
