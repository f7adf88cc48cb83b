using Ferry.Testing;
using Ferry.TicketService.Data;
using Ferry.TicketService.Retention;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Tests.Retention;

/// <summary>The retention purges on the real schema, with rows backdated in Postgres.</summary>
public sealed class RetentionTests(PostgresServer postgres, RedisServer redis) : IAsyncLifetime
{
    private readonly SyncDatabase _db = new(postgres);
    private JobStore _queue = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _queue = new JobStore(_db.DataSource, TimeProvider.System);
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private RetentionService Service(int batchSize = 1000) => new(
        new RetentionStore(_db.DataSource),
        Options.Create(new RetentionOptions { BatchSize = batchSize, BatchPause = TimeSpan.Zero }),
        TimeProvider.System,
        NullLogger<RetentionService>.Instance);

    private static Delivery Webhook(string deliveryId) =>
        new("intercom", deliveryId, "conversation.user.replied", "c-" + deliveryId, null, DateTimeOffset.UtcNow, """{"email":"pat@customers.example"}"""u8.ToArray(), null);

    private Task<long> AgeAsync(string deliveryId, int days) =>
        _db.ScalarAsync($"UPDATE sync.inbox SET received_at = now() - interval '{days} days' WHERE delivery_id = '{deliveryId}' RETURNING 1");

    [Fact]
    public async Task Payloads_older_than_the_inbox_retention_are_nulled_and_their_delivery_ids_still_deduplicate()
    {
        await _queue.EnqueueAsync(Webhook("old"), queuesSync: true, Ct);
        await _queue.EnqueueAsync(Webhook("recent"), queuesSync: true, Ct);
        await AgeAsync("old", 8);
        await AgeAsync("recent", 6);

        var pass = await Service().PurgeAsync(Ct);

        Assert.Equal(new RetentionPass(1, 0, 0), pass);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE delivery_id = 'old' AND payload IS NULL"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE delivery_id = 'recent' AND payload IS NOT NULL"));
        Assert.True((await _queue.EnqueueAsync(Webhook("old"), queuesSync: true, Ct)).Duplicate);
    }

    [Fact]
    public async Task Delivery_ids_are_deleted_only_after_their_own_longer_retention()
    {
        await _queue.EnqueueAsync(Webhook("month-old"), queuesSync: true, Ct);
        await _queue.EnqueueAsync(Webhook("weeks-old"), queuesSync: true, Ct);
        await AgeAsync("month-old", 31);
        await AgeAsync("weeks-old", 29);

        var pass = await Service().PurgeAsync(Ct);

        Assert.Equal(new RetentionPass(2, 1, 0), pass);
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE delivery_id = 'month-old'"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE delivery_id = 'weeks-old'"));
    }

    [Fact]
    public async Task Attempts_older_than_their_retention_are_deleted_in_batches()
    {
        var job = await _queue.RequestAsync("conv-retention", SyncTrigger.Api, null, Ct);
        await _db.ScalarAsync($"""
            INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, trigger, outcome, started_at, finished_at)
            SELECT {job.JobId}, n, 'conv-retention', 'api', 'failure', now() - make_interval(days => age), now() - make_interval(days => age)
            FROM generate_series(1, 28) AS n, LATERAL (SELECT CASE WHEN n <= 25 THEN 91 ELSE 89 END AS age) a
            RETURNING 1
            """);

        var pass = await Service(batchSize: 10).PurgeAsync(Ct);

        Assert.Equal(new RetentionPass(0, 0, 25), pass);
        Assert.Equal(3, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts"));
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts WHERE finished_at < now() - interval '90 days'"));
    }

    [Theory]
    [InlineData("Retention:Inbox", "00:10:00", "Inbox")]
    [InlineData("Retention:DeliveryIds", "3.00:00:00", "Retention:DeliveryIds")]
    [InlineData("Retention:BatchSize", "0", "BatchSize")]
    public async Task TicketService_does_not_start_with_invalid_retention_settings(string key, string value, string named)
    {
        await using var host = TicketServiceHost.WithoutVendors(await postgres.CreateDatabaseAsync("retention_startup"), redis.ConnectionString,
            new Dictionary<string, string?> { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => host.Server);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
