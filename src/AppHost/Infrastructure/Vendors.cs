namespace Ferry.AppHost.Infrastructure;

/// <summary>
/// Where Intercom and Zendesk are. Sandbox mode (the default, and whenever no real Zendesk URL is
/// configured) points every service at src/Sandbox; live mode uses Parameters:intercom-base-url and
/// Parameters:zendesk-base-url with the real credentials.
/// </summary>
public sealed record Vendors(
    IResourceBuilder<ProjectResource>? Sandbox,
    ReferenceExpression IntercomBaseUrl,
    ReferenceExpression ZendeskBaseUrl,
    IResourceBuilder<ParameterResource> IntercomAccessToken,
    IResourceBuilder<ParameterResource> IntercomClientSecret,
    IResourceBuilder<ParameterResource>? ZendeskEmail,
    IResourceBuilder<ParameterResource> ZendeskApiToken,
    IResourceBuilder<ParameterResource> ZendeskWebhookSecret,
    ReferenceExpression IntercomAdminEmail);

public static class VendorsExtensions
{
    /// <summary>The sandbox's standard admin, who closes conversations for Ferry in sandbox mode.</summary>
    private const string SandboxFerryAdmin = "ada@sandbox.example";

    public static Vendors AddVendors(this IDistributedApplicationBuilder builder)
    {
        var intercomToken = builder.AddGeneratedSecret("intercom-access-token");
        var intercomClientSecret = builder.AddGeneratedSecret("intercom-client-secret");
        var zendeskToken = builder.AddGeneratedSecret("zendesk-api-token");
        var zendeskWebhookSecret = builder.AddGeneratedSecret("zendesk-webhook-secret");

        var live = !string.IsNullOrEmpty(builder.Configuration["Parameters:zendesk-base-url"]);
        if (live)
        {
            var intercomUrl = builder.AddParameter("intercom-base-url");
            var zendeskUrl = builder.AddParameter("zendesk-base-url");
            return new Vendors(null,
                ReferenceExpression.Create($"{intercomUrl}"), ReferenceExpression.Create($"{zendeskUrl}"),
                intercomToken, intercomClientSecret, builder.AddParameter("zendesk-email"), zendeskToken, zendeskWebhookSecret,
                ReferenceExpression.Create($"{builder.AddParameter("intercom-admin-email")}"));
        }

        var sandbox = builder.AddProject<Projects.Sandbox>("sandbox")
            .WithEnvironment("Sandbox__Intercom__AccessToken", intercomToken)
            .WithEnvironment("Sandbox__Intercom__ClientSecret", intercomClientSecret)
            .WithEnvironment("Sandbox__Zendesk__ApiToken", zendeskToken)
            .WithEnvironment("Sandbox__Zendesk__WebhookSecret", zendeskWebhookSecret)
            .WithHttpHealthCheck("/health")
            .WithExternalHttpEndpoints();
        var sandboxUrl = sandbox.GetEndpoint("http");
        return new Vendors(sandbox,
            ReferenceExpression.Create($"{sandboxUrl}/intercom/"), ReferenceExpression.Create($"{sandboxUrl}/zendesk/"),
            intercomToken, intercomClientSecret, ZendeskEmail: null, zendeskToken, zendeskWebhookSecret,
            ReferenceExpression.Create($"{SandboxFerryAdmin}"));
    }

    /// <summary>Gives a service the vendor settings (Intercom:*, Zendesk:*) and, in sandbox mode, waits for the sandbox.</summary>
    public static IResourceBuilder<ProjectResource> WithVendors(this IResourceBuilder<ProjectResource> project, Vendors vendors)
    {
        project
            .WithEnvironment("Intercom__BaseUrl", vendors.IntercomBaseUrl)
            .WithEnvironment("Intercom__AccessToken", vendors.IntercomAccessToken)
            .WithEnvironment("Intercom__ClientSecret", vendors.IntercomClientSecret)
            .WithEnvironment("Zendesk__BaseUrl", vendors.ZendeskBaseUrl)
            .WithEnvironment("Zendesk__ApiToken", vendors.ZendeskApiToken)
            .WithEnvironment("Zendesk__WebhookSecret", vendors.ZendeskWebhookSecret);
        if (vendors.ZendeskEmail is not null)
        {
            // API-token Basic auth; without an email the token is sent as a Bearer token (sandbox, OAuth).
            project.WithEnvironment("Zendesk__Email", vendors.ZendeskEmail);
        }

        return vendors.Sandbox is null ? project : project.WaitFor(vendors.Sandbox);
    }
}
