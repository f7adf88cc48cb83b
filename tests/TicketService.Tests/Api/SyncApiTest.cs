using Ferry.Testing;
using Npgsql;

namespace Ferry.TicketService.Tests.Api;

/// <summary>A TicketService without vendors on its own database, and that database to arrange rows in directly.</summary>
public abstract class SyncApiTest(PostgresServer postgres, RedisServer redis, string databasePrefix) : IAsyncLifetime
{
    protected TicketServiceHost Host { get; private set; } = null!;

    protected NpgsqlDataSource Db { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected V1.Sync.SyncClient Sync() => new(Host.CreateGrpcChannel());

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(databasePrefix);
        Host = TicketServiceHost.WithoutVendors(connectionString, redis.ConnectionString);
        Host.Start();
        Db = NpgsqlDataSource.Create(connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        await Db.DisposeAsync();
        await Host.DisposeAsync();
    }
}
