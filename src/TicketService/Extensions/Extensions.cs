using Ferry.TicketService.Api;
using Ferry.TicketService.Attempts;
using Ferry.TicketService.Queue;
using Ferry.TicketService.Sync;
using Ferry.TicketService.Vendors;
using Ferry.TicketService.Vendors.Intercom;

namespace Ferry.TicketService.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("ferry");
        builder.AddRedisClient("redis");

        builder.Services.AddFerryGrpcServer();
        builder.Services.AddGrpc(options => options.Interceptors.Add<ErrorMappingInterceptor>());

        builder.Services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton<AttemptLog>();
        builder.Services.AddSingleton<AttemptFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AttemptFeed>());
        builder.Services.AddSingleton<TicketLinks>();
        builder.Services.AddSingleton<Backfill>();

        builder.Services.AddTransient<VendorCalls.CountingHandler>();
        builder.AddIntercomHttpClient<IntercomClient>().AddHttpMessageHandler<VendorCalls.CountingHandler>();
    }

    public static void MapApplicationServices(this WebApplication app)
    {
        app.MapGrpcService<SyncApi>();
        app.MapGrpcService<SyncInboxApi>();
    }
}
