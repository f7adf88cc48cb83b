using Ferry.V1;

namespace Ferry.Gateway.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
        builder.Services.AddFerryGrpcServer();
        builder.Services.AddGrpcServiceClient<SyncInbox.SyncInboxClient>("tickets");

        // The Sync API for internal tools is proxied to TicketService (gRPC over HTTP/2 end to end).
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver();
    }
}
