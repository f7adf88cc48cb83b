using System.Reflection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Applies a service's migrations in <see cref="StartingAsync"/>, which the host runs before any hosted service's
/// StartAsync (the job workers read the schema) and before the server accepts a request; a failure stops start-up.
/// </summary>
internal sealed class SchemaMigrationService(IServiceProvider services, string connectionName, string schema, Assembly scriptAssembly)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) =>
        services.MigrateSchemaAsync(connectionName, schema, scriptAssembly, cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
