using Ferry.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Intercom and Zendesk: the Sandbox emulators unless real URLs and credentials are configured.
var vendors = builder.AddVendors();

// Postgres + Redis: containers where an engine runs, local processes otherwise (Ferry:Infrastructure);
// with the sandbox, for the run only.
var infrastructure = builder.AddFerryInfrastructure(sandbox: vendors.Sandbox is not null);

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
    .WithDualMode(vendors)
    .WithHttpHealthCheck("/health")
    // Dashboard buttons: retry dead jobs, run the reconciler, pause and resume syncing.
    .WithSyncCommands();

// Sync API key for internal tools (x-api-key) and the operator key of the status page (/operator):
// secret parameters; the gateway is given only their SHA-256.
var gatewayApiKey = builder.AddGeneratedSecret("gateway-api-key");
var operatorKey = builder.AddGeneratedSecret("operator-key");
var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithRedis(infrastructure)
    .WithKeyHash("Gateway__ApiKeys__ferry-cli", gatewayApiKey)
    .WithKeyHash("Operator__Keys__operator", operatorKey)
    .WithVendors(vendors)
    .WithReference(tickets).WaitFor(tickets)
    // The status page lists identity conflicts.
    .WithReference(identity)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

// Sandbox mode: the emulated vendors deliver webhooks to the gateway as the real ones would, and
// demo traffic (Ferry:DemoTraffic, default on) keeps new conversations coming for people to watch.
if (vendors.Sandbox is not null)
{
    // The status page links conversations and tickets to the sandbox page's entries.
    var sandboxPage = vendors.Sandbox.GetEndpoint("http");
    gateway
        .WithEnvironment("Operator__IntercomConversationUrl", ReferenceExpression.Create($"{sandboxPage}/#conversation-{{id}}"))
        .WithEnvironment("Operator__ZendeskTicketUrl", ReferenceExpression.Create($"{sandboxPage}/#ticket-{{id}}"));
}

vendors.Sandbox?
    .WithReseedCommand()
    .WithEnvironment("Sandbox__Intercom__WebhookUrl", ReferenceExpression.Create($"{gateway.GetEndpoint("http")}/webhooks/intercom"))
    .WithEnvironment("Sandbox__Zendesk__WebhookUrl", ReferenceExpression.Create($"{gateway.GetEndpoint("http")}/webhooks/zendesk"))
    .WithEnvironment("Sandbox__DemoTraffic__Enabled", builder.Configuration["Ferry:DemoTraffic"] ?? "true")
    .WithEnvironment("Sandbox__DemoTraffic__PerMinute", builder.Configuration["Ferry:DemoTrafficPerMinute"] ?? "6")
    // The emulated "notify requester of comment update" trigger with the condition docs/DUAL.md asks for.
    .WithEnvironment("Sandbox__Zendesk__NotifyRequesterUnlessTags__0", "ferry");

builder.Build().Run();
