using Xunit;
using StackExchange.Redis;

namespace Ferry.Testing;

/// <summary>A real Redis server for a test assembly (use as an assembly fixture).</summary>
public sealed class RedisServer : LocalServer, IAsyncLifetime
{
    public RedisServer() : base("local-redis.sh", "FERRY_REDIS")
    {
    }

    public string ConnectionString => $"127.0.0.1:{Port},password={Password},abortConnect=false";

    public ValueTask InitializeAsync() => new(WaitUntilReadyAsync(async () =>
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},password={Password},abortConnect=true,connectTimeout=1000");
        await connection.GetDatabase().PingAsync();
    }, TimeSpan.FromSeconds(30)));
}
