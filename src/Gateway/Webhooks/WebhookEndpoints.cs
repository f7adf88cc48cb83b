namespace Ferry.Gateway.Webhooks;

/// <summary>
/// <c>/webhooks/intercom</c> and <c>/webhooks/zendesk</c>, both through <see cref="WebhookIntake"/>.
/// Protected by the vendors' signatures, not by API keys.
/// </summary>
public static class WebhookEndpoints
{
    public const string IntercomPath = "/webhooks/intercom";
    public const string ZendeskPath = "/webhooks/zendesk";

    /// <summary>The intake, its settings (validated at start-up: a gateway without a vendor's secret does not start) and the vendors.</summary>
    public static IServiceCollection AddWebhookIntake(this IServiceCollection services)
    {
        services.AddValidatedOptions<WebhookOptions>(WebhookOptions.Section);
        services.AddValidatedOptions<IntercomWebhookOptions>(IntercomWebhookOptions.Section);
        services.AddValidatedOptions<ZendeskWebhookOptions>(ZendeskWebhookOptions.Section);
        services.AddSingleton<DeliveryDedup>();
        services.AddSingleton<InboxForwarder>();
        services.AddSingleton<WebhookIntake>();
        services.AddSingleton<IWebhookSource, IntercomWebhooks>();
        services.AddSingleton<IWebhookSource, ZendeskWebhooks>();
        return services;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var intake = app.ServiceProvider.GetRequiredService<WebhookIntake>();
        foreach (var source in app.ServiceProvider.GetServices<IWebhookSource>())
        {
            // Intercom checks the endpoint with HEAD when a subscription is set up; Zendesk's test button likewise.
            app.MapMethods(source.Path, [HttpMethods.Head], () => Results.Ok()).WithMetadata(SignedWebhook.Instance);
            app.MapPost(source.Path, (Delegate)((HttpContext context) => intake.ReceiveAsync(context, source))).WithMetadata(SignedWebhook.Instance);
        }

        return app;
    }
}

/// <summary>
/// Endpoint metadata of the webhook endpoints: a delivery is proven by its vendor's signature over the body, so the
/// gateway does not run the API's authentication, authorization or antiforgery for it.
/// </summary>
public sealed class SignedWebhook
{
    public static SignedWebhook Instance { get; } = new();

    private SignedWebhook()
    {
    }
}
