using Ferry.IdentityService.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

await app.MigrateSchemaAsync("ferry", "identity", typeof(Program).Assembly);

app.MapDefaultEndpoints();
app.MapFerryGrpcDefaults();

app.Run();
