using Ferry.Sandbox.Extensions;

namespace Ferry.Sandbox;

/// <summary>Builds the sandbox web application: used by Program and by the in-process test fixture.</summary>
public static class SandboxApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(SandboxApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Runs first so a host (the test fixture) can replace configuration before it is read.
        configure?.Invoke(builder);
        builder.AddServiceDefaults();
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapSandbox();
        return app;
    }
}
