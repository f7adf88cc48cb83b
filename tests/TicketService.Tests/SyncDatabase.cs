using Ferry.TicketService.Data;
using Ferry.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Ferry.TicketService.Tests;

/// <summary>A fresh database with the sync schema migrated, one per test class.</summary>
public sealed class SyncDatabase(PostgresServer postgres) : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    /// <summary>The NOTIFYs TicketService sends after its commits, on this database.</summary>
    public CommitAnnouncements Announcements { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await postgres.CreateDatabaseAsync("sync");
        await MigrateAsync(ConnectionString);
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        Announcements = new CommitAnnouncements(DataSource, NullLogger<CommitAnnouncements>.Instance);
    }

    public static async Task MigrateAsync(string connectionString)
    {
        using var host = new HostBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:ferry"] = connectionString }))
            .Build();
        await host.Services.MigrateSchemaAsync("ferry", "sync", typeof(Ferry.TicketService.Data.JobStore).Assembly);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await Announcements.DisposeAsync();
        await DataSource.DisposeAsync();
    }
}
