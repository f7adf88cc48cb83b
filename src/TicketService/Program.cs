using Ferry.TicketService.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

await builder.Build().MapApplicationServices().RunAsync();
