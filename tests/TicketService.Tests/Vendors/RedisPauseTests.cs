using System.Diagnostics;
using System.Net;
using Ferry.Testing;
using Ferry.TicketService.Vendors;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Ferry.TicketService.Tests.Vendors;

public sealed class RedisPauseTests
{
    [Fact]
    public async Task Vendor_calls_go_ahead_promptly_while_Redis_is_paused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new RedisServer();
        await server.InitializeAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true");
        var budget = new SharedRateBudget(redis, NullLogger<SharedRateBudget>.Instance);
        using var client = new HttpClient(new SharedRateBudget.Handler(budget, "zendesk", () => 6000) { InnerHandler = new Ok() });

        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync("http://vendor.test/api", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"5 calls took {watch.Elapsed}");
    }

    private sealed class Ok : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
    }
}
