namespace Ferry.Testing;

/// <summary>
/// What a benchmark hosting Ferry services starts first: its own Postgres (one fresh database), Redis, and a
/// sandbox whose rate limits never answer 429 (the figures wanted are calls and latency, not waits).
/// </summary>
public sealed class BenchmarkInfrastructure : IAsyncDisposable
{
    private BenchmarkInfrastructure(PostgresServer postgres, RedisServer redis, SandboxServer sandbox, string database) =>
        (Postgres, Redis, Sandbox, Database) = (postgres, redis, sandbox, database);

    public PostgresServer Postgres { get; }

    public RedisServer Redis { get; }

    public SandboxServer Sandbox { get; }

    /// <summary>Connection string of the benchmark's database.</summary>
    public string Database { get; }

    public static async Task<BenchmarkInfrastructure> StartAsync()
    {
        var postgres = new PostgresServer();
        var redis = new RedisServer();
        try
        {
            await postgres.InitializeAsync();
            await redis.InitializeAsync();
            var sandbox = await SandboxServer.CreateWithoutRateLimitsAsync();
            return new BenchmarkInfrastructure(postgres, redis, sandbox, await postgres.CreateDatabaseAsync("bench"));
        }
        catch
        {
            await redis.DisposeAsync();
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary><see cref="Benchmarking.ServiceSettings"/> for a service on <paramref name="grpcPort"/> using this infrastructure.</summary>
    public Dictionary<string, string?> ServiceSettings(int grpcPort) => Benchmarking.ServiceSettings(Database, Redis.ConnectionString, grpcPort, Sandbox);

    public async ValueTask DisposeAsync()
    {
        await Sandbox.DisposeAsync();
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
