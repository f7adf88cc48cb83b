using System.Diagnostics;
using System.Net;
using Ferry.ServiceDefaults.Vendors;
using Ferry.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using StackExchange.Redis;
using static Ferry.TicketService.Tests.Vendors.VendorStub;

namespace Ferry.TicketService.Tests.Vendors;

public sealed class SharedRateBudgetTests(RedisServer redis) : IAsyncLifetime
{
    private ReplicaConnections _redis = null!;
    private readonly string _account = $"v{Guid.NewGuid():N}";

    public async ValueTask InitializeAsync() => _redis = await ReplicaConnections.ConnectAsync(redis);

    public ValueTask DisposeAsync() => _redis.DisposeAsync();

    private static async Task<bool> MustWaitAsync(SharedRateBudget budget, string account, int perMinute)
    {
        using var shortly = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        shortly.CancelAfter(TimeSpan.FromMilliseconds(500));
        try
        {
            return await budget.AcquireAsync(account, perMinute, shortly.Token) > TimeSpan.Zero;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }

    private static TimeSpan Since(long timestamp, long later) => Stopwatch.GetElapsedTime(timestamp, later);

    [Fact]
    public async Task Replicas_share_one_budget_per_vendor_account()
    {
        // 6 per minute: a burst of one, then one every 10 s.
        var replicaA = Budget(_redis.First);
        var replicaB = Budget(_redis.Second);

        Assert.False(await MustWaitAsync(replicaA, _account, 6));
        Assert.True(await MustWaitAsync(replicaB, _account, 6));
        Assert.True(await MustWaitAsync(replicaA, _account, 6));
        Assert.False(await MustWaitAsync(replicaB, $"{_account}-other-account", 6));
    }

    [Fact]
    public async Task A_long_pause_is_reported_to_every_replica_instead_of_waited_out()
    {
        var replicaA = Budget(_redis.First);
        var replicaB = Budget(_redis.Second);

        await replicaA.PauseAsync(_account, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var left = await replicaB.AcquireAsync(_account, 6000, TestContext.Current.CancellationToken);
        Assert.InRange(left, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30.01));
    }

    [Fact]
    public async Task A_429_seen_while_the_budget_answer_is_on_its_way_still_holds_the_request()
    {
        // A busy machine: Redis (here: paused) answers the token request late, and meanwhile another request of
        // this process gets a 429. The token came from before the pause; the request must not go out on it.
        var budget = Budget(_redis.First);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "400", "ALL");

        var acquiring = budget.AcquireAsync(_account, 6000, TestContext.Current.CancellationToken);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        var pausing = budget.PauseAsync(_account, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.InRange(await acquiring, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30.01));
        await pausing;
    }

    [Fact]
    public async Task A_pause_another_replica_published_holds_requests_while_Redis_answers_slowly()
    {
        // A loaded machine: Redis answers, but slower than a quiet one. Another replica's 429 must still hold
        // this replica's request; going ahead because the answer was late is a request inside Retry-After.
        var ct = TestContext.Current.CancellationToken;
        var replicaA = Budget(_redis.First);
        var replicaB = Budget(_redis.Second);
        await replicaB.PauseAsync(_account, TimeSpan.FromSeconds(2), ct);
        var paused = Stopwatch.GetTimestamp();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "500", "ALL");

        var left = await replicaA.AcquireAsync(_account, 6000, ct);

        var after = Stopwatch.GetElapsedTime(paused);
        Assert.True(left > TimeSpan.Zero || after >= TimeSpan.FromSeconds(1.9), $"went ahead {after} into a 2 s pause");
    }

    [Fact]
    public async Task A_token_answered_late_is_checked_against_a_pause_set_meanwhile()
    {
        // Redis granted the token, then another replica's 429 paused the account before the request went (here
        // Redis is busy for 300 ms right after the grant, then sets the pause, as a loaded machine delays answers).
        // A request sent on that token would go out inside the pause. Every answer counts as late here (zero), so
        // the outcome does not hang on whether Redis read the two commands at once.
        const string busyThenPause = """
            local t = redis.call('TIME')
            local start = tonumber(t[1]) * 1000000 + tonumber(t[2])
            repeat t = redis.call('TIME') until tonumber(t[1]) * 1000000 + tonumber(t[2]) - start >= tonumber(ARGV[1]) * 1000
            redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
            return 0
            """;
        var ct = TestContext.Current.CancellationToken;
        var budget = Budget(_redis.First, new RateLimitOptions { StaleAnswerAfter = TimeSpan.Zero });
        var started = Stopwatch.GetTimestamp();

        var acquiring = budget.AcquireAsync(_account, 6000, ct);
        var pausing = _redis.First.GetDatabase().ScriptEvaluateAsync(busyThenPause, [(RedisKey)$"ferry:budget:{_account}:paused"], [300, 2000]);
        var left = await acquiring;
        await pausing;

        var after = Stopwatch.GetElapsedTime(started);
        Assert.True(left > TimeSpan.Zero || after >= TimeSpan.FromSeconds(2), $"went ahead after {after}, inside a 2 s pause set at 0.3 s");
    }

    [Fact]
    public async Task A_429_seen_while_Redis_is_skipped_still_reaches_the_other_replicas()
    {
        // Replica B timed out on Redis and skips it for its back-off; Redis is back when B gets a 429. Skipping
        // Redis saves B a wait, but the pause is what the other replicas need: it is published regardless.
        var ct = TestContext.Current.CancellationToken;
        var quick = new RateLimitOptions { RedisTimeout = TimeSpan.FromMilliseconds(100), RedisBackOff = TimeSpan.FromMinutes(1) };
        var replicaA = Budget(_redis.First);
        var replicaB = Budget(_redis.Second, quick);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "300", "ALL");
        Assert.Equal(TimeSpan.Zero, await replicaB.AcquireAsync(_account, 6000, ct));
        await Task.Delay(400, ct);

        await replicaB.PauseAsync(_account, TimeSpan.FromSeconds(30), ct);

        Assert.InRange(await replicaA.AcquireAsync(_account, 6000, ct), TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30.01));
    }

    [Fact]
    public async Task Without_Redis_requests_go_ahead_unpaced()
    {
        var budget = Budget(_redis.Down);

        Assert.False(await MustWaitAsync(budget, _account, 6));
        Assert.False(await MustWaitAsync(budget, _account, 6));
    }

    [Fact]
    public async Task Retry_After_holds_for_another_service_sharing_Redis()
    {
        var vendor = new VendorStub((HttpStatusCode.TooManyRequests, 1));
        using var tickets = vendor.ClientThrough(Budget(_redis.First), _account);
        using var identity = vendor.ClientThrough(Budget(_redis.Second), _account);

        await AssertSecondWaitsForRetryAfterAsync(vendor, tickets, identity);
    }

    [Fact]
    public async Task Retry_After_holds_in_the_process_with_Redis_down()
    {
        var vendor = new VendorStub((HttpStatusCode.TooManyRequests, 1));
        using var client = vendor.ClientThrough(Budget(_redis.Down), _account);

        await AssertSecondWaitsForRetryAfterAsync(vendor, client, client);
    }

    private static async Task AssertSecondWaitsForRetryAfterAsync(VendorStub vendor, HttpClient first, HttpClient second)
    {
        var ct = TestContext.Current.CancellationToken;
        using var limited = await first.GetAsync("api", ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        using var next = await second.GetAsync("api", ct);

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var after = Since(vendor.RateLimitedAt, vendor.Arrivals[1]);
        Assert.True(after >= TimeSpan.FromSeconds(1), $"sent {after} after the 429");
    }

    [Fact]
    public async Task A_pause_longer_than_the_wait_limit_is_answered_without_sending()
    {
        var ct = TestContext.Current.CancellationToken;
        var vendor = new VendorStub((HttpStatusCode.TooManyRequests, 30));
        using var client = vendor.ClientThrough(Budget(_redis.Down), _account);

        using var limited = await client.GetAsync("api", ct);
        using var deferred = await client.GetAsync("api", ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, deferred.StatusCode);
        Assert.InRange(deferred.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(28), TimeSpan.FromSeconds(30));
        Assert.Single(vendor.Arrivals);
    }

    [Fact]
    public void Vendor_clients_take_the_budget_inside_the_resilience_handler_so_every_retry_does()
    {
        using var host = ZendeskClientHost();

        var chain = new List<Type>();
        for (HttpMessageHandler? handler = host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(nameof(ZendeskTestClient));
             handler is DelegatingHandler delegating; handler = delegating.InnerHandler)
        {
            chain.Add(handler.GetType());
        }

        var resilience = chain.IndexOf(typeof(ResilienceHandler));
        var budget = chain.IndexOf(typeof(SharedRateBudget.Handler));
        Assert.True(resilience >= 0 && budget > resilience, string.Join(" → ", chain.Select(t => t.Name)));
    }

    [Fact]
    public void Vendor_clients_name_the_service_that_sends_in_their_User_Agent()
    {
        using var host = ZendeskClientHost("TicketService");

        var client = host.Services.GetRequiredService<ZendeskTestClient>();

        Assert.Equal("Ferry/1.0 (TicketService)", client.Http.DefaultRequestHeaders.UserAgent.ToString());
    }

    private IHost ZendeskClientHost(string? applicationName = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = applicationName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Zendesk:BaseUrl"] = "http://vendor.test/",
            ["Zendesk:ApiToken"] = "token",
        });
        builder.Services.AddSingleton<IConnectionMultiplexer>(_redis.First);
        builder.AddZendeskHttpClient<ZendeskTestClient>();
        return builder.Build();
    }

    private sealed class ZendeskTestClient(HttpClient http)
    {
        public HttpClient Http => http;
    }
}
