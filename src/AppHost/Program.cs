using Ferry.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres + Redis: containers where an engine runs, local processes otherwise (Ferry:Infrastructure).
var infrastructure = builder.AddFerryInfrastructure();

// Intercom and Zendesk: the Sandbox emulators unless real URLs and credentials are configured.
var vendors = builder.AddVendors();

var identity = builder.AddProject<Projects.IdentityService>("identity")
    .WithDatabase(infrastructure)
    .WithRedis(infrastructure)
    .WithVendors(vendors)
    .WithHttpHealthCheck("/health");

var attachments = builder.AddProject<Projects.AttachmentService>("attachments")
    .WithRedis(infrastructure)
    .WithVendors(vendors)
    .WithHttpHealthCheck("/health");
if (vendors.Sandbox is not null)
{
    // Sandbox mode only: the sandbox serves the Intercom attachment URLs over plain http on loopback.
    // Live mode keeps the defaults (https, Intercom's hosts, public addresses only).
    attachments
        .WithEnvironment("Attachments__AllowedHosts__0", "localhost")
        .WithEnvironment("Attachments__AllowedHosts__1", "127.0.0.1")
        .WithEnvironment("Attachments__AllowInsecureHttpForHosts__0", "localhost")
        .WithEnvironment("Attachments__AllowInsecureHttpForHosts__1", "127.0.0.1")
        .WithEnvironment("Attachments__AllowLoopback", "true");
}

var tickets = builder.AddProject<Projects.TicketService>("tickets")
    .WithDatabase(infrastructure)
    .WithRedis(infrastructure)
    .WithVendors(vendors)
    .WithReference(identity).WaitFor(identity)
    .WithReference(attachments).WaitFor(attachments)
    // The Intercom admin Ferry closes (and, by policy, reopens) conversations as when Zendesk solves a ticket.
    .WithEnvironment("Status__IntercomAdminEmail", vendors.IntercomAdminEmail)
    .WithHttpHealthCheck("/health");

// Sync API key for internal tools (x-api-key): a secret parameter; the gateway is given only its SHA-256.
var gatewayApiKey = builder.AddGeneratedSecret("gateway-api-key");
var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithRedis(infrastructure)
    .WithEnvironment(async context => context.EnvironmentVariables["Gateway__ApiKeys__ferry-cli"] = Convert.ToHexStringLower(
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            await gatewayApiKey.Resource.GetValueAsync(context.CancellationToken) ?? ""))))
    .WithVendors(vendors)
    .WithReference(tickets).WaitFor(tickets)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

// Sandbox mode: the emulated vendors deliver webhooks to the gateway as the real ones would, and
// demo traffic (Ferry:DemoTraffic, default on) keeps new conversations coming for people to watch.
vendors.Sandbox?
    .WithEnvironment("Sandbox__Intercom__WebhookUrl", ReferenceExpression.Create($"{gateway.GetEndpoint("http")}/webhooks/intercom"))
    .WithEnvironment("Sandbox__Zendesk__WebhookUrl", ReferenceExpression.Create($"{gateway.GetEndpoint("http")}/webhooks/zendesk"))
    .WithEnvironment("Sandbox__DemoTraffic__Enabled", builder.Configuration["Ferry:DemoTraffic"] ?? "true")
    .WithEnvironment("Sandbox__DemoTraffic__PerMinute", builder.Configuration["Ferry:DemoTrafficPerMinute"] ?? "6");

builder.Build().Run();
