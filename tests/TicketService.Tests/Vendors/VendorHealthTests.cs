using System.Diagnostics.Metrics;
using System.Net;
using Ferry.ServiceDefaults.Vendors;
using Ferry.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static Ferry.TicketService.Tests.Vendors.VendorStub;

namespace Ferry.TicketService.Tests.Vendors;

/// <summary>What the status page shows of a vendor: every replica's calls add up in Redis, auth failures are counted and metered.</summary>
public sealed class VendorHealthTests(RedisServer redis) : IAsyncLifetime
{
    private ReplicaConnections _redis = null!;
    private ServiceProvider _metrics = null!;
    private readonly Uri _api = new($"http://vendor-{Guid.NewGuid():N}.test/");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _redis = await ReplicaConnections.ConnectAsync(redis);
        _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _metrics.DisposeAsync();
    }

    [Fact]
    public async Task Calls_of_every_replica_add_up_and_the_latest_failure_and_auth_failures_are_reported()
    {
        using var replicaA = Health(_redis.First);
        using var replicaB = Health(_redis.Second);
        var authFailures = new List<(long Value, object? Vendor)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == VendorHealth.MeterName && instrument.Name == "ferry.vendor.auth_failures")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => authFailures.Add((value, tags.ToArray().Single(t => t.Key == "vendor").Value)));
        listener.Start();

        await SendAsync(replicaA, HttpStatusCode.OK, HttpStatusCode.UnprocessableEntity);
        await SendAsync(replicaB, HttpStatusCode.Unauthorized, HttpStatusCode.ServiceUnavailable);
        await replicaA.FlushAsync(Ct);
        await replicaB.FlushAsync(Ct);

        var seen = await replicaA.ReadAsync(VendorNames.Zendesk, _api, Ct);
        Assert.Equal(4, seen.UsedLastMinute);
        Assert.Equal(1, seen.AuthFailuresLastHour);
        Assert.Equal(503, seen.LastFailureStatus);
        Assert.NotNull(seen.LastSuccessAt);
        Assert.InRange(seen.LastFailureAt!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        Assert.Equal(new RateLimitOptions().ZendeskPerMinute, seen.BudgetPerMinute);
        Assert.Null(seen.PausedUntil);
        Assert.Equal([(1L, (object?)VendorNames.Zendesk)], authFailures);
    }

    [Fact]
    public async Task A_429_pause_set_by_any_replica_is_shown_with_its_end()
    {
        var budget = Budget(_redis.Second);
        using var health = Health(_redis.First);

        await budget.PauseAsync(SharedRateBudget.Account(VendorNames.Zendesk, _api), TimeSpan.FromSeconds(30), Ct);

        var seen = await health.ReadAsync(VendorNames.Zendesk, _api, Ct);
        Assert.InRange(seen.PausedUntil!.Value, DateTimeOffset.UtcNow.AddSeconds(20), DateTimeOffset.UtcNow.AddSeconds(31));
    }

    [Fact]
    public async Task Without_Redis_the_call_goes_ahead_and_this_process_reports_what_it_saw()
    {
        using var health = Health(_redis.Down);

        await SendAsync(health, HttpStatusCode.OK);
        await health.FlushAsync(Ct);

        var seen = await health.ReadAsync(VendorNames.Zendesk, _api, Ct);
        Assert.NotNull(seen.LastSuccessAt);
        Assert.Null(seen.LastFailureAt);
    }

    private VendorHealth Health(IConnectionMultiplexer connection) =>
        new(connection, Budget(connection), Options.Create(new RateLimitOptions()), _metrics.GetRequiredService<IMeterFactory>(), TimeProvider.System, NullLogger<VendorHealth>.Instance);

    private async Task SendAsync(VendorHealth health, params HttpStatusCode[] answers)
    {
        var vendor = new VendorStub([.. answers.Select(a => (a, 0))]);
        using var client = new HttpClient(new VendorHealth.Handler(health, VendorNames.Zendesk) { InnerHandler = vendor }) { BaseAddress = _api };
        foreach (var _ in answers)
        {
            using var response = await client.GetAsync(new Uri("api/v2/tickets/1.json", UriKind.Relative), Ct);
        }
    }
}
