using Ferry.TicketService.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

await app.MigrateSchemaAsync("ferry", "sync", typeof(Program).Assembly);

app.MapDefaultEndpoints();
app.MapFerryGrpcDefaults();
app.MapApplicationServices();

app.Run();
