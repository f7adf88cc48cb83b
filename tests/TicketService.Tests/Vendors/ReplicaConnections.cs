using Ferry.Testing;
using StackExchange.Redis;

namespace Ferry.TicketService.Tests.Vendors;

/// <summary>Two "replicas" on one Redis, and one whose Redis is down (nothing listens on its port).</summary>
internal sealed class ReplicaConnections : IAsyncDisposable
{
    private ReplicaConnections(ConnectionMultiplexer first, ConnectionMultiplexer second, ConnectionMultiplexer down) =>
        (First, Second, Down) = (first, second, down);

    public ConnectionMultiplexer First { get; }

    public ConnectionMultiplexer Second { get; }

    public ConnectionMultiplexer Down { get; }

    public static async Task<ReplicaConnections> ConnectAsync(RedisServer redis) => new(
        await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString),
        await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString),
        await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{LocalServer.FreeLoopbackPort()},abortConnect=false,connectTimeout=200"));

    public async ValueTask DisposeAsync()
    {
        await First.DisposeAsync();
        await Second.DisposeAsync();
        await Down.DisposeAsync();
    }
}
