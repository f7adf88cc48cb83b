using Ferry.IdentityService.Extensions;

var app = IdentityApp.Build(args);

await app.MigrateAsync();

app.Run();
