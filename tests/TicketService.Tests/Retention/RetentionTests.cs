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

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private JobStore Queue => new(_db.DataSource, TimeProvider.System);

    private InboxWriter _inbox = null!;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _inbox = new InboxWriter(_db.DataSource, _db.Announcements);
    }

    public async ValueTask DisposeAsync()
    {
        await _inbox.DisposeAsync();
        await _db.DisposeAsync();
    }

    private RetentionService Service(int batchSize = 1000) => new(
        new RetentionStore(_db.DataSource),
        Options.Create(new RetentionOptions { BatchSize = batchSize, BatchPause = TimeSpan.Zero }),
        TimeProvider.System,
        NullLogger<RetentionService>.Instance);

    private static Delivery Webhook(string deliveryId) =>
        new("intercom", deliveryId, "conversation.user.replied", "c-" + deliveryId, null, DateTimeOffset.UtcNow, """{"email":"pat@customers.example"}"""u8.ToArray(), null);

    /// <summary>Deliveries received <c>days</c> ago, through the real enqueue path.</summary>
    private async Task ReceivedAsync(params (string DeliveryId, int Days)[] deliveries)
    {
        foreach (var (deliveryId, days) in deliveries)
        {
            await _inbox.EnqueueAsync(Webhook(deliveryId), queuesSync: true, Ct);
            await _db.ScalarAsync($"UPDATE sync.inbox SET received_at = now() - interval '{days} days' WHERE delivery_id = '{deliveryId}' RETURNING 1");
        }
    }

    [Fact]
    public async Task Inbox_payloads_are_nulled_after_a_week_and_delivery_ids_deleted_only_after_their_longer_retention()
    {
        await ReceivedAsync(("month-old", 31), ("weeks-old", 29), ("old", 8), ("recent", 6));

        var pass = await Service().PurgeAsync(Ct);

        // month-old's payload is nulled, then its row deleted; weeks-old and old keep their (now empty) rows.
        Assert.Equal(new RetentionPass(3, 1, 0), pass);
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE delivery_id = 'month-old'"));
        Assert.Equal(2, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE delivery_id IN ('weeks-old', 'old') AND payload IS NULL"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE delivery_id = 'recent' AND payload IS NOT NULL"));
        Assert.True((await _inbox.EnqueueAsync(Webhook("old"), queuesSync: true, Ct)).Duplicate);
    }

    [Fact]
    public async Task Attempts_older_than_their_retention_are_deleted_in_batches()
    {
        var job = await Queue.RequestAsync("conv-retention", SyncTrigger.Api, null, Ct);
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

        var error = Assert.Throws<OptionsValidationException>(() => host.Start());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
