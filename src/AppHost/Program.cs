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
    .WithVendors(vendors)
    .WithHttpHealthCheck("/health");

var tickets = builder.AddProject<Projects.TicketService>("tickets")
    .WithDatabase(infrastructure)
    .WithRedis(infrastructure)
    .WithVendors(vendors)
    .WithReference(identity).WaitFor(identity)
    .WithReference(attachments).WaitFor(attachments)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Gateway>("gateway")
    .WithRedis(infrastructure)
    .WithVendors(vendors)
    .WithReference(tickets).WaitFor(tickets)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.Build().Run();
