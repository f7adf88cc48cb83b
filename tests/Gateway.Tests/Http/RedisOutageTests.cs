using System.Net;
using Ferry.Gateway.Tests.Infrastructure;

namespace Ferry.Gateway.Tests.Http;

/// <summary>Redis is only an optimisation: with Redis unreachable the gateway still verifies, acknowledges and queues.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public async ValueTask InitializeAsync() =>
        _gateway = await GatewayHost.StartAsync($"127.0.0.1:{GatewayHost.FreePort()},abortConnect=false,connectTimeout=500", GatewayHost.NowhereAddress());

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Without_Redis_unused_topics_are_still_acknowledged_and_used_ones_still_reach_the_queue_path()
    {
        var ct = TestContext.Current.CancellationToken;
        using var unused = await _gateway.Http.SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson("n_unused", "company.created")), ct);
        Assert.Equal(HttpStatusCode.OK, unused.StatusCode);

        // Dedup is skipped, Enqueue is attempted; TicketService is down too, so the vendor is told to retry (not a 500).
        using var used = await _gateway.Http.SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson("n_used", "conversation.admin.closed")), ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, used.StatusCode);
    }
}
