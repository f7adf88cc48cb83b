using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Ferry.Testing;

/// <summary>
/// The real TicketService (its built dll, as deployed) in its own process on a given loopback port, with a
/// test database and Redis. Vendors point at a closed port: jobs are queued and recorded, their sync
/// attempts simply fail: enough for a gateway in front of it (tests and benchmark).
/// </summary>
public static class TicketServiceProcess
{
    /// <summary>Started and serving (grpc.health.v1) on <paramref name="grpcPort"/>.</summary>
    public static Task<ServiceProcess> StartAsync(int grpcPort, string databaseConnectionString, string redisConnectionString) =>
        StartAsync(grpcPort, WithoutVendors(databaseConnectionString, redisConnectionString));

    /// <summary>
    /// Started with <paramref name="settings"/> (database, Redis, vendors, services) and serving on <paramref name="grpcPort"/>;
    /// the built dll, or the one published to <paramref name="publishedDirectory"/>.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(int grpcPort, IReadOnlyDictionary<string, string?> settings, string? publishedDirectory = null)
    {
        var grpc = new Uri($"http://127.0.0.1:{grpcPort}");
        var tickets = ServiceProcess.Start("TicketService", new Dictionary<string, string?>(settings)
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{LocalServer.FreeLoopbackPort()}",
            ["Kestrel:Endpoints:grpc:Url"] = grpc.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        }, publishedDirectory);
        using var channel = GrpcChannel.ForAddress(grpc);
        var health = new Health.HealthClient(channel);
        await tickets.WaitUntilReadyAsync<RpcException>(async () =>
        {
            var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
            if (reply.Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "TicketService is not serving yet."));
            }
        }, TimeSpan.FromSeconds(60));
        return tickets;
    }

    /// <summary>TicketService settings with its database and Redis, and vendors on a closed port (9).</summary>
    public static Dictionary<string, string?> WithoutVendors(string databaseConnectionString, string redisConnectionString) => new()
    {
        ["ConnectionStrings:ferry"] = databaseConnectionString,
        ["ConnectionStrings:redis"] = redisConnectionString,
        ["Intercom:BaseUrl"] = "http://127.0.0.1:9/intercom/",
        ["Intercom:AccessToken"] = "unused",
        ["Zendesk:BaseUrl"] = "http://127.0.0.1:9/zendesk/",
        ["Zendesk:ApiToken"] = "unused",
    };
}
