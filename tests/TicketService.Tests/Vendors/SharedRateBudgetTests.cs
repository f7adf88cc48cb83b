using Ferry.Testing;
using Ferry.TicketService.Vendors;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Ferry.TicketService.Tests.Vendors;

public sealed class SharedRateBudgetTests(RedisServer redis) : IAsyncLifetime
{
    private ConnectionMultiplexer _first = null!;
    private ConnectionMultiplexer _second = null!;
    private readonly string _vendor = $"v{Guid.NewGuid():N}";

    public async ValueTask InitializeAsync()
    {
        _first = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        _second = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    private static async Task<bool> MustWaitAsync(SharedRateBudget budget, string vendor, int perMinute)
    {
        using var shortly = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        shortly.CancelAfter(TimeSpan.FromMilliseconds(500));
        try
        {
            await budget.AcquireAsync(vendor, perMinute, shortly.Token);
            return false;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }

    [Fact]
    public async Task Replicas_share_one_budget_per_vendor_account()
    {
        // 6 per minute: a burst of one, then one every 10 s.
        var replicaA = new SharedRateBudget(_first, NullLogger<SharedRateBudget>.Instance);
        var replicaB = new SharedRateBudget(_second, NullLogger<SharedRateBudget>.Instance);

        Assert.False(await MustWaitAsync(replicaA, _vendor, 6));
        Assert.True(await MustWaitAsync(replicaB, _vendor, 6));
        Assert.True(await MustWaitAsync(replicaA, _vendor, 6));
        Assert.False(await MustWaitAsync(replicaB, $"{_vendor}-other-account", 6));
    }

    [Fact]
    public async Task A_429_pauses_every_worker_for_the_retry_after()
    {
        var replicaA = new SharedRateBudget(_first, NullLogger<SharedRateBudget>.Instance);
        var replicaB = new SharedRateBudget(_second, NullLogger<SharedRateBudget>.Instance);

        await replicaA.PauseAsync(_vendor, TimeSpan.FromSeconds(30));

        Assert.True(await MustWaitAsync(replicaB, _vendor, 6000));
    }

    [Fact]
    public async Task Without_Redis_requests_go_ahead_unpaced()
    {
        await using var down = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:1,abortConnect=false,connectTimeout=200");
        var budget = new SharedRateBudget(down, NullLogger<SharedRateBudget>.Instance);

        Assert.False(await MustWaitAsync(budget, _vendor, 6));
        Assert.False(await MustWaitAsync(budget, _vendor, 6));
    }
}
