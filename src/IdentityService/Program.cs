using Ferry.IdentityService.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

await app.MigrateAsync();

app.MapDefaultEndpoints();
app.MapApplicationServices();

await app.RunAsync();
