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

    public GrpcChannel CreateChannel() =>
        GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });
}
