using Ferry.Testing;
using Ferry.TicketService.Data;
using Npgsql;

namespace Ferry.TicketService.Tests.Queue;

/// <summary>Group commit of deliveries: fewer transactions than deliveries, the same answers as one at a time, and nothing acknowledged that did not commit.</summary>
public sealed class InboxWriterTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly SyncDatabase _db = new(postgres);
    private InboxWriter _inbox = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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

    private static Delivery Webhook(string deliveryId, string conversationId, string topic = "conversation.user.replied") =>
        new("intercom", deliveryId, topic, conversationId, null, DateTimeOffset.UtcNow, "{}"u8.ToArray(), null);

    [Fact]
    public async Task Concurrent_deliveries_share_transactions_and_get_the_answers_they_would_get_one_at_a_time()
    {
        // 300 deliveries for 30 conversations, and 20 of them delivered twice at the same moment.
        var deliveries = Enumerable.Range(0, 300).Select(i => Webhook($"n{i}", $"c{i % 30}"))
            .Concat(Enumerable.Range(0, 20).Select(i => Webhook($"n{i * 7}", $"c{i * 7 % 30}")))
            .ToList();

        var results = await Task.WhenAll(deliveries.Select(d => _inbox.EnqueueAsync(d, queuesSync: true, Ct)));

        Assert.True(_inbox.Transactions < deliveries.Count / 4, $"{_inbox.Transactions} transactions for {deliveries.Count} deliveries");
        Assert.Equal(20, results.Count(r => r.Duplicate));
        Assert.Equal(300, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE job_id IS NOT NULL"));
        Assert.Equal(30, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs"));
        var jobOf = deliveries.Zip(results).GroupBy(p => p.First.ConversationId).ToDictionary(g => g.Key!, g => g.Select(p => p.Second.JobId).Distinct().Single());
        Assert.Equal(30, jobOf.Values.Distinct().Count());
        Assert.Equal(300, await _db.ScalarAsync(
            "SELECT count(*) FROM sync.inbox i JOIN sync.jobs j ON j.job_id = i.job_id WHERE j.conversation_id = i.conversation_id"));
    }

    [Fact]
    public async Task A_redelivery_in_the_same_batch_or_a_later_one_is_a_duplicate_naming_the_original_job()
    {
        var both = await Task.WhenAll(_inbox.EnqueueAsync(Webhook("same", "c1"), true, Ct), _inbox.EnqueueAsync(Webhook("same", "c1"), true, Ct));
        var later = await _inbox.EnqueueAsync(Webhook("same", "c1"), true, Ct);

        Assert.Equal(1, both.Count(r => r.Duplicate));
        Assert.True(later.Duplicate);
        Assert.Single(both.Append(later).Select(r => r.JobId).Distinct());
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox"));
    }

    [Fact]
    public async Task Unused_topics_are_recorded_without_a_job_beside_deliveries_that_queue_one()
    {
        var results = await Task.WhenAll(
            _inbox.EnqueueAsync(Webhook("used", "c1"), true, Ct),
            _inbox.EnqueueAsync(Webhook("unused", "c2", "contact.user.updated"), false, Ct));

        Assert.Equal([false, true], results.Select(r => r.Ignored));
        Assert.Equal(0, results[1].JobId);
        Assert.Equal(2, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs"));
    }

    [Fact]
    public async Task A_delivery_that_queues_nothing_is_logged_once_however_often_it_comes()
    {
        var ignored = new AttemptRecord(0, null, 0, "", 4242, SyncTrigger.Webhook, AttemptOutcome.Skipped, "ticket not created by Ferry",
            AttemptLog.ZendeskToIntercom, 0, 0, DateTimeOffset.UtcNow, Origin: "zendesk");
        var delivery = new Delivery("zendesk", "z1", "ticket.status_changed", null, 4242, DateTimeOffset.UtcNow, "{}"u8.ToArray(), null);

        var together = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _inbox.EnqueueAsync(delivery, queuesSync: false, Ct, ignored)));
        var later = await _inbox.EnqueueAsync(delivery, queuesSync: false, Ct, ignored);

        Assert.Equal(1, together.Count(r => r.Ignored));
        Assert.True(later.Duplicate);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts WHERE ticket_id = 4242"));
    }

    [Fact]
    public async Task Committed_jobs_and_logged_attempts_are_announced_after_the_commit_and_local_workers_are_woken_at_once()
    {
        var woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _db.Announcements.OnJobsQueuedHere(() => woken.TrySetResult());
        var heard = System.Threading.Channels.Channel.CreateUnbounded<(string Channel, string Payload)>();
        await using var listener = await _db.DataSource.OpenConnectionAsync(Ct);
        listener.Notification += (_, e) => heard.Writer.TryWrite((e.Channel, e.Payload));
        await using (var listen = new NpgsqlCommand($"LISTEN {JobStore.NotifyChannel}; LISTEN {AttemptLog.NotifyChannel}", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        var queued = await _inbox.EnqueueAsync(Webhook("announced", "c-announced"), queuesSync: true, Ct);
        var ignored = new AttemptRecord(0, null, 0, "", 4343, SyncTrigger.Webhook, AttemptOutcome.Skipped, "ticket not created by Ferry",
            AttemptLog.ZendeskToIntercom, 0, 0, DateTimeOffset.UtcNow, Origin: "zendesk");
        await _inbox.EnqueueAsync(new Delivery("zendesk", "z-announced", "ticket.status_changed", null, 4343, DateTimeOffset.UtcNow, "{}"u8.ToArray(), null), false, Ct, ignored);

        await woken.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var attemptId = await _db.ScalarAsync("SELECT attempt_id FROM sync.attempts WHERE ticket_id = 4343");
        var expected = new HashSet<(string, string)> { (JobStore.NotifyChannel, _db.Announcements.Sender), (AttemptLog.NotifyChannel, attemptId.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
        using var waited = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        waited.CancelAfter(TimeSpan.FromSeconds(10));
        var listening = Task.Run(async () =>
        {
            while (!waited.IsCancellationRequested)
            {
                await listener.WaitAsync(waited.Token);
            }
        }, Ct);
        while (expected.Count > 0)
        {
            expected.Remove(await heard.Reader.ReadAsync(waited.Token));
        }

        await waited.CancelAsync();
        await listening.ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.True(queued.JobId > 0);
    }

    [Fact]
    public async Task A_row_Postgres_refuses_fails_its_own_caller_only_and_nothing_unwritten_is_acknowledged()
    {
        // Postgres refuses some rows: their callers get the error (a 503 upstream), their batch-mates are written.
        await _db.ScalarAsync("ALTER TABLE sync.inbox ADD CONSTRAINT refuse_poison CHECK (topic <> 'poison') NOT VALID; SELECT 0");
        var deliveries = Enumerable.Range(0, 200).Select(i => Webhook($"n{i}", $"c{i % 10}", i % 50 == 0 ? "poison" : "conversation.user.replied")).ToList();

        var outcomes = await Task.WhenAll(deliveries.Select(async d =>
        {
            try
            {
                await _inbox.EnqueueAsync(d, true, Ct);
                return (d.DeliveryId, Acknowledged: true);
            }
            catch (PostgresException)
            {
                return (d.DeliveryId, Acknowledged: false);
            }
        }));

        Assert.Equal(["n0", "n100", "n150", "n50"], outcomes.Where(o => !o.Acknowledged).Select(o => o.DeliveryId).Order(StringComparer.Ordinal));
        await using var command = _db.DataSource.CreateCommand("SELECT delivery_id FROM sync.inbox");
        var recorded = new HashSet<string>();
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                recorded.Add(reader.GetString(0));
            }
        }

        Assert.Equal(outcomes.Where(o => o.Acknowledged).Select(o => o.DeliveryId).Order(StringComparer.Ordinal), recorded.Order(StringComparer.Ordinal));

        // The writer keeps working after a failed batch.
        Assert.False((await _inbox.EnqueueAsync(Webhook("after", "c1"), true, Ct)).Duplicate);
    }

    [Fact]
    public async Task Connections_killed_mid_batch_leave_no_acknowledged_delivery_unwritten()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var admin = Npgsql.NpgsqlDataSource.Create(_db.ConnectionString);
        var killer = Task.Run(async () =>
        {
            var killed = 0L;
            while (!stop.IsCancellationRequested)
            {
                await using var kill = admin.CreateCommand(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
                killed += (long)(await kill.ExecuteScalarAsync(CancellationToken.None))!;
                await Task.Delay(3, CancellationToken.None);
            }

            return killed;
        }, CancellationToken.None);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 400).Select(async i =>
        {
            try
            {
                await _inbox.EnqueueAsync(Webhook($"k{i}", $"c{i % 20}"), true, Ct);
                return (DeliveryId: $"k{i}", Acknowledged: true);
            }
            catch (NpgsqlException)
            {
                return (DeliveryId: $"k{i}", Acknowledged: false);
            }
        }));
        await stop.CancelAsync();
        var killed = await killer;

        var recorded = new HashSet<string>();
        await using (var command = admin.CreateCommand("SELECT delivery_id FROM sync.inbox"))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                recorded.Add(reader.GetString(0));
            }
        }

        Assert.True(killed > 0, "no connection was killed: the test proved nothing");
        Assert.All(outcomes.Where(o => o.Acknowledged), o => Assert.Contains(o.DeliveryId, recorded));
    }
}
