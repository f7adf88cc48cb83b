using Ferry.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres + Redis: containers where an engine runs, local processes otherwise (Ferry:Infrastructure).
var infrastructure = builder.AddFerryInfrastructure();

// Sandbox mode (default): Intercom and Zendesk are emulated by src/Sandbox with these secrets.
var intercomToken = builder.AddGeneratedSecret("intercom-access-token");
var intercomClientSecret = builder.AddGeneratedSecret("intercom-client-secret");
var zendeskToken = builder.AddGeneratedSecret("zendesk-api-token");
var zendeskWebhookSecret = builder.AddGeneratedSecret("zendesk-webhook-secret");

var sandbox = builder.AddProject<Projects.Sandbox>("sandbox")
    .WithEnvironment("Sandbox__Intercom__AccessToken", intercomToken)
    .WithEnvironment("Sandbox__Intercom__ClientSecret", intercomClientSecret)
    .WithEnvironment("Sandbox__Zendesk__ApiToken", zendeskToken)
    .WithEnvironment("Sandbox__Zendesk__WebhookSecret", zendeskWebhookSecret)
    .WithEnvironment("Sandbox__DemoTraffic__Enabled", "true")
    .WithEnvironment("Sandbox__DemoTraffic__PerMinute", "6")
    .WithHttpHealthCheck("/health");

var identity = builder.AddProject<Projects.IdentityService>("identity")
    .WithDatabase(infrastructure)
    .WithRedis(infrastructure)
    .WithHttpHealthCheck("/health");

var attachments = builder.AddProject<Projects.AttachmentService>("attachments")
    .WithHttpHealthCheck("/health");

var tickets = builder.AddProject<Projects.TicketService>("tickets")
    .WithDatabase(infrastructure)
    .WithRedis(infrastructure)
    .WithReference(identity).WaitFor(identity)
    .WithReference(attachments).WaitFor(attachments)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Gateway>("gateway")
    .WithRedis(infrastructure)
    .WithReference(tickets).WaitFor(tickets)
    .WithEnvironment("Intercom__ClientSecret", intercomClientSecret)
    .WithEnvironment("Zendesk__WebhookSecret", zendeskWebhookSecret)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.Build().Run();
