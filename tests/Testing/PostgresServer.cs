using Xunit;
using Npgsql;

namespace Ferry.Testing;

/// <summary>
/// A real PostgreSQL server for a test assembly (use as an assembly fixture). Each test class takes
/// its own database with <see cref="CreateDatabaseAsync"/>, so tests never share state.
/// </summary>
public sealed class PostgresServer : LocalServer, IAsyncLifetime
{
    /// <summary>
    /// Room for every test class's pool at once (Maximum Pool Size 100 each): on a loaded machine connections are
    /// held longer, and 200 ran out ("53300: sorry, too many clients already").
    /// </summary>
    public const int MaxConnections = 600;

    public PostgresServer() : base("local-postgres.sh", "FERRY_PG", new Dictionary<string, string>
    {
        ["FERRY_PG_MAX_CONNECTIONS"] = MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture),
    })
    {
    }

    public string AdminConnectionString => ConnectionStringFor("ferry");

    public string ConnectionStringFor(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Password={Password};Database={database};Pooling=true;Maximum Pool Size=100";

    public ValueTask InitializeAsync() => new(WaitUntilReadyAsync(async () =>
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
    }, TimeSpan.FromSeconds(60)));

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionStringFor(name);
    }
}
