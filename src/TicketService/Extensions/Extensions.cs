namespace Ferry.TicketService.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("ferry");
        builder.AddRedisClient("redis");
        builder.Services.AddFerryGrpcServer();
    }
}
