using Ferry.Testing;
using Ferry.TicketService.Attempts;
using Ferry.TicketService.Queue;

namespace Ferry.TicketService.Tests.Queue;

public sealed class JobQueueTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly SyncDatabase _db = new(postgres);
    private JobQueue _queue = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _queue = new JobQueue(_db.DataSource, TimeProvider.System);
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private static Delivery Webhook(string deliveryId, string conversationId = "c1") =>
        new("intercom", deliveryId, "conversation.user.replied", conversationId, null, DateTimeOffset.UtcNow, "{}"u8.ToArray(), null);

    [Fact]
    public async Task A_redelivered_webhook_is_a_no_op_that_names_the_original_job()
    {
        var first = await _queue.EnqueueAsync(Webhook("notif_1"), queuesSync: true, Ct);
        var again = await _queue.EnqueueAsync(Webhook("notif_1"), queuesSync: true, Ct);

        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate);
        Assert.Equal(first.JobId, again.JobId);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs"));
    }

    [Fact]
    public async Task Twenty_concurrent_events_for_one_conversation_make_one_job()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _queue.EnqueueAsync(Webhook($"notif_{i}"), queuesSync: true, Ct)));

        Assert.Single(results.Select(r => r.JobId).Distinct());
        Assert.Equal(20, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE job_id IS NOT NULL"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs"));
    }

    [Fact]
    public async Task Recorded_but_unused_topics_queue_nothing()
    {
        var result = await _queue.EnqueueAsync(Webhook("notif_x") with { Topic = "contact.user.updated" }, queuesSync: false, Ct);

        Assert.True(result.Ignored);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox"));
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs"));
    }

    [Fact]
    public async Task Concurrent_workers_never_claim_the_same_job()
    {
        for (var i = 0; i < 10; i++)
        {
            await _queue.RequestAsync($"conv-{i}", SyncTrigger.Api, null, Ct);
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 16).Select(w => _queue.ClaimAsync($"w{w}", TimeSpan.FromMinutes(1), Ct)));
        var claimed = claims.Where(c => c is not null).Select(c => c!.ConversationId).ToList();

        Assert.Equal(10, claimed.Count);
        Assert.Equal(10, claimed.Distinct().Count());
    }

    [Fact]
    public async Task An_event_during_a_run_sends_the_job_round_again_instead_of_losing_it()
    {
        await _queue.EnqueueAsync(Webhook("n1"), queuesSync: true, Ct);
        var job = (await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        var during = await _queue.EnqueueAsync(Webhook("n2"), queuesSync: true, Ct);
        Assert.Equal(job.JobId, during.JobId);

        Assert.True(await CompleteAsync(job));

        var info = (await _queue.GetJobAsync(job.JobId, Ct))!;
        Assert.Equal(JobState.Pending, info.State);
        var again = (await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(job.JobId, again.JobId);
        Assert.True(await CompleteAsync(again));
        Assert.Equal(JobState.Done, (await _queue.GetJobAsync(job.JobId, Ct))!.State);
    }

    [Fact]
    public async Task A_worker_whose_lease_expired_is_fenced_out()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        var slow = (await _queue.ClaimAsync("slow", TimeSpan.FromMilliseconds(1), Ct))!;
        await Task.Delay(50, Ct);
        var takeover = (await _queue.ClaimAsync("fast", TimeSpan.FromMinutes(1), Ct))!;

        Assert.Equal(slow.JobId, takeover.JobId);
        Assert.Equal(slow.Attempt + 1, takeover.Attempt);
        Assert.False(await _queue.RenewLeaseAsync(slow, TimeSpan.FromMinutes(1), Ct));
        Assert.False(await CompleteAsync(slow));
        Assert.True(await CompleteAsync(takeover));
    }

    [Fact]
    public async Task Failures_back_off_then_die_while_rate_limit_deferrals_never_count()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);

        var job = (await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(JobState.Pending, await FailAsync(job, deferral: true, maxAttempts: 1));
        Assert.Equal(0, (await _queue.GetJobAsync(job.JobId, Ct))!.Attempt);

        job = (await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(1, job.Attempt);
        Assert.Equal(JobState.Pending, await FailAsync(job, deferral: false, maxAttempts: 2));

        job = (await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(JobState.Dead, await FailAsync(job, deferral: false, maxAttempts: 2));
        var dead = (await _queue.GetJobAsync(job.JobId, Ct))!;
        Assert.Equal("boom", dead.LastError);
        Assert.Null(await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct));

        // A retry after death is a fresh job for the same conversation.
        var retried = await _queue.RequestAsync("c1", SyncTrigger.Retry, null, Ct);
        Assert.NotEqual(job.JobId, retried.JobId);
    }

    [Fact]
    public async Task A_backed_off_job_is_not_claimed_before_its_time()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        var job = (await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        await using (var connection = await _db.DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await connection.BeginTransactionAsync(Ct))
        {
            await JobQueue.FailAsync(connection, tx, job, "later", TimeSpan.FromHours(1), deferral: false, maxAttempts: 5, Ct);
            await tx.CommitAsync(Ct);
        }

        Assert.Null(await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct));
    }

    [Fact]
    public async Task Attempts_are_logged_and_paged_newest_first_with_filters()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        var job = (await _queue.ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        await using (var connection = await _db.DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await connection.BeginTransactionAsync(Ct))
        {
            for (var i = 0; i < 5; i++)
            {
                await AttemptLog.RecordAsync(connection, tx, new AttemptRecord(0, job.JobId, i + 1, i % 2 == 0 ? "c1" : "c2", null, SyncTrigger.Api,
                    i == 3 ? AttemptOutcome.Failure : AttemptOutcome.Success, $"r{i}", AttemptLog.IntercomToZendesk, i, 10, DateTimeOffset.UtcNow), Ct);
            }

            await tx.CommitAsync(Ct);
        }

        var log = new AttemptLog(_db.DataSource);
        var page1 = await log.ListAsync(new AttemptFilter(null, false, null, 2, null), Ct);
        var page2 = await log.ListAsync(new AttemptFilter(null, false, null, 2, page1[^1].AttemptId), Ct);
        Assert.Equal(["r4", "r3"], page1.Select(a => a.Reason));
        Assert.Equal(["r2", "r1"], page2.Select(a => a.Reason));
        Assert.Equal(["r3"], (await log.ListAsync(new AttemptFilter(null, true, null, 10, null), Ct)).Select(a => a.Reason));
        Assert.Equal(["r4", "r2", "r0"], (await log.ListAsync(new AttemptFilter("c1", false, null, 10, null), Ct)).Select(a => a.Reason));
        Assert.Empty(await log.ListAsync(new AttemptFilter(null, false, DateTimeOffset.UtcNow.AddHours(1), 10, null), Ct));
    }

    [Fact]
    public async Task Migrations_applied_by_several_replicas_at_once_run_each_script_once()
    {
        var connectionString = await postgres.CreateDatabaseAsync("migrate");
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => SyncDatabase.MigrateAsync(connectionString)));

        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM sync.schema_versions");
        var scripts = typeof(JobQueue).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));
        Assert.Equal(scripts, Convert.ToInt32(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<bool> CompleteAsync(ClaimedJob job)
    {
        await using var connection = await _db.DataSource.OpenConnectionAsync(Ct);
        await using var tx = await connection.BeginTransactionAsync(Ct);
        var ok = await JobQueue.CompleteAsync(connection, tx, job, Ct);
        await tx.CommitAsync(Ct);
        return ok;
    }

    private async Task<JobState?> FailAsync(ClaimedJob job, bool deferral, int maxAttempts)
    {
        await using var connection = await _db.DataSource.OpenConnectionAsync(Ct);
        await using var tx = await connection.BeginTransactionAsync(Ct);
        var state = await JobQueue.FailAsync(connection, tx, job, "boom", TimeSpan.Zero, deferral, maxAttempts, Ct);
        await tx.CommitAsync(Ct);
        return state;
    }
}
