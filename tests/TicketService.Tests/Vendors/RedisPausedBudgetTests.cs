using System.Diagnostics;
using System.Net;
using Ferry.ServiceDefaults.Vendors;
using Ferry.Testing;
using StackExchange.Redis;

namespace Ferry.TicketService.Tests.Vendors;

/// <summary>A paused Redis (CLIENT PAUSE) is a down Redis: vendor calls go ahead promptly. Own server: the pause would stall other tests.</summary>
public sealed class RedisPausedBudgetTests
{
    [Fact]
    public async Task Vendor_calls_go_ahead_promptly_while_Redis_is_paused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new RedisServer();
        await server.InitializeAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true");
        var vendor = new VendorStub((HttpStatusCode.TooManyRequests, 1));
        using var client = vendor.ClientThrough(VendorStub.Budget(redis), "zendesk");

        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        var watch = Stopwatch.StartNew();
        using var limited = await client.GetAsync("api", ct);
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync("api", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // One bounded Redis wait, then Redis is skipped; the 429's one-second pause still held, in the process.
        var bound = new RateLimitOptions().RedisTimeout + TimeSpan.FromSeconds(1.5);
        Assert.True(watch.Elapsed < bound, $"11 calls took {watch.Elapsed} with Redis paused for 3 s");
        Assert.True(Stopwatch.GetElapsedTime(vendor.RateLimitedAt, vendor.Arrivals[1]) >= TimeSpan.FromSeconds(1));
    }
}
