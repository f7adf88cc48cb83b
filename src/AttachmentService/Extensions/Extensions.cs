namespace Ferry.AttachmentService.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddFerryGrpcServer();
    }
}
