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
        Assert.Equal(new RetentionPass(3, 1, 0, 0), pass);
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

        Assert.Equal(new RetentionPass(0, 0, 25, 0), pass);
        Assert.Equal(3, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts"));
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts WHERE finished_at < now() - interval '90 days'"));
    }

    [Fact]
    public async Task Finished_jobs_older_than_the_attempt_retention_are_deleted_but_a_dead_job_waiting_for_an_operator_never_is_nor_comes_back()
    {
        // (conversation, state, age in days, dismissed): the job ids rise in this order, so later rows are newer jobs.
        await _db.ScalarAsync("""
            INSERT INTO sync.jobs (conversation_id, trigger, state, updated_at, dismissed_at, dismissed_by, dismissal_note)
            SELECT c, 'webhook', s, now() - make_interval(days => age), CASE WHEN dismissed THEN now() - make_interval(days => age) END,
                   CASE WHEN dismissed THEN 'ops' END, CASE WHEN dismissed THEN 'spam' END
            FROM (VALUES ('done-twice', 'done', 120, false), ('done-twice', 'done', 95, false),
                         ('waiting', 'dead', 200, false),
                         ('dismissed', 'dead', 100, true),
                         ('dead-then-done', 'dead', 110, false), ('dead-then-done', 'done', 100, false),
                         ('recent', 'done', 10, false),
                         ('deferred', 'pending', 120, false),
                         ('attempt-kept', 'done', 91, false)) AS r(c, s, age, dismissed)
            RETURNING 1
            """);
        await _db.ScalarAsync("""
            INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, trigger, outcome, started_at, finished_at)
            SELECT job_id, 1, conversation_id, 'webhook', 'success', now() - interval '89 days', now() - interval '89 days'
            FROM sync.jobs WHERE conversation_id = 'attempt-kept'
            RETURNING 1
            """);
        var service = Service();

        var first = await service.PurgeAsync(Ct);

        // The job that superseded a dead one goes only once that one has: deleting it first would make the dead job
        // the conversation's latest again, back on the dead-jobs list and the alert.
        Assert.Equal(4, first.JobsDeleted);
        Assert.Equal(["attempt-kept", "dead-then-done", "deferred", "recent", "waiting"], await ConversationsWithJobsAsync());
        Assert.Equal(["waiting"], (await Queue.ListDeadAsync(100, Ct)).Select(j => j.ConversationId));

        var second = await service.PurgeAsync(Ct);

        Assert.Equal(1, second.JobsDeleted);
        Assert.Equal(["attempt-kept", "deferred", "recent", "waiting"], await ConversationsWithJobsAsync());
        Assert.Equal(["waiting"], (await Queue.ListDeadAsync(100, Ct)).Select(j => j.ConversationId));
    }

    private async Task<List<string>> ConversationsWithJobsAsync()
    {
        await using var command = _db.DataSource.CreateCommand("SELECT DISTINCT conversation_id FROM sync.jobs ORDER BY conversation_id");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var conversations = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            conversations.Add(reader.GetString(0));
        }

        return conversations;
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
