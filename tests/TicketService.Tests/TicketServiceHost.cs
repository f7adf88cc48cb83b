using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Ferry.TicketService.Tests;

/// <summary>TicketService started from its real Program with test configuration; gRPC through the test server.</summary>
public sealed class TicketServiceHost(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Ferry.TicketService.Data.JobStore>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A host whose vendors are unreachable (port 9): for tests of the API and the queue, not of syncing.</summary>
    public static TicketServiceHost WithoutVendors(string connectionString, string redisConnectionString, IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ferry"] = connectionString,
            ["ConnectionStrings:redis"] = redisConnectionString,
            ["Intercom:BaseUrl"] = "http://127.0.0.1:9/intercom/",
            ["Intercom:AccessToken"] = "unused",
            ["Zendesk:BaseUrl"] = "http://127.0.0.1:9/zendesk/",
            ["Zendesk:ApiToken"] = "unused",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new(settings);
    }

    public GrpcChannel CreateChannel() =>
        GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });
}
