using Ferry.Testing;
using Npgsql;
using StackExchange.Redis;

namespace Ferry.AppHost.Tests;

/// <summary>The eng/local-*.sh scripts that the AppHost (local mode) and the test fixtures run.</summary>
public sealed class LocalProcessScriptsTests
{
    [Fact]
    public async Task Postgres_script_serves_password_protected_isolated_databases_and_stops_cleanly()
    {
        var server = new PostgresServer();
        await using (server)
        {
            await server.InitializeAsync();
            var first = await server.CreateDatabaseAsync();
            var second = await server.CreateDatabaseAsync();
            Assert.NotEqual(first, second);

            await using var connection = new NpgsqlConnection(first);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new NpgsqlCommand("SELECT current_user", connection);
            Assert.Equal("postgres", await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));

            var wrongPassword = new NpgsqlConnectionStringBuilder(first) { Password = "wrong" }.ConnectionString;
            await using var refused = new NpgsqlConnection(wrongPassword);
            await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync(TestContext.Current.CancellationToken));
        }

        await using var afterStop = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Pooling = false }.ConnectionString);
        await Assert.ThrowsAsync<NpgsqlException>(() => afterStop.OpenAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Redis_script_requires_its_password()
    {
        await using var server = new RedisServer();
        await server.InitializeAsync();

        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        Assert.True(await redis.GetDatabase().StringSetAsync("k", "v"));

        await Assert.ThrowsAnyAsync<RedisException>(async () =>
        {
            await using var anonymous = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},abortConnect=true,connectTimeout=1000");
            await anonymous.GetDatabase().StringGetAsync("k");
        });
    }
}
