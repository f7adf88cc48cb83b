using Ferry.AttachmentService.Api;
using Ferry.AttachmentService.Extensions;

namespace Ferry.AttachmentService;

/// <summary>Builds the service: used by Program and by tests and benchmarks that host it on a free port.</summary>
public static class AttachmentServiceApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(AttachmentServiceApp).Assembly.GetName().Name,
        });

        // Before the registrations: some read settings as they register (AddRedisClient's connection string).
        configure?.Invoke(builder);
        builder.AddServiceDefaults();
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapFerryGrpcDefaults();
        app.MapGrpcService<AttachmentsApi>();
        return app;
    }
}
