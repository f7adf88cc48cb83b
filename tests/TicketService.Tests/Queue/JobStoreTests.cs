using Ferry.Testing;
using Ferry.TicketService.Data;
using Npgsql;

namespace Ferry.TicketService.Tests.Queue;

public sealed class JobStoreTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly SyncDatabase _db = new(postgres);
    private JobStore _queue = null!;
    private InboxWriter _inbox = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _queue = new JobStore(_db.DataSource, TimeProvider.System);
        _inbox = new InboxWriter(_db.DataSource, _db.Announcements);
    }

    public async ValueTask DisposeAsync()
    {
        await _inbox.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static Delivery Webhook(string deliveryId, string conversationId = "c1") =>
        new("intercom", deliveryId, "conversation.user.replied", conversationId, null, DateTimeOffset.UtcNow, "{}"u8.ToArray(), null);

    [Fact]
    public async Task A_redelivered_webhook_is_a_no_op_that_names_the_original_job()
    {
        var first = await _inbox.EnqueueAsync(Webhook("notif_1"), queuesSync: true, Ct);
        var again = await _inbox.EnqueueAsync(Webhook("notif_1"), queuesSync: true, Ct);

        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate);
        Assert.Equal(first.JobId, again.JobId);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs"));
    }

    [Fact]
    public async Task Twenty_concurrent_events_for_one_conversation_make_one_job()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _inbox.EnqueueAsync(Webhook($"notif_{i}"), queuesSync: true, Ct)));

        Assert.Single(results.Select(r => r.JobId).Distinct());
        Assert.Equal(20, await _db.ScalarAsync("SELECT count(*) FROM sync.inbox WHERE job_id IS NOT NULL"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs"));
    }

    [Fact]
    public async Task Recorded_but_unused_topics_queue_nothing()
    {
        var result = await _inbox.EnqueueAsync(Webhook("notif_x") with { Topic = "contact.user.updated" }, queuesSync: false, Ct);

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

        var claims = await Task.WhenAll(Enumerable.Range(0, 16).Select(w => ClaimAsync($"w{w}", TimeSpan.FromMinutes(1), Ct)));
        var claimed = claims.Where(c => c is not null).Select(c => c!.ConversationId).ToList();

        Assert.Equal(10, claimed.Count);
        Assert.Equal(10, claimed.Distinct().Count());
    }

    [Fact]
    public async Task An_event_during_a_run_sends_the_job_round_again_instead_of_losing_it()
    {
        await _inbox.EnqueueAsync(Webhook("n1"), queuesSync: true, Ct);
        var job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        var during = await _inbox.EnqueueAsync(Webhook("n2"), queuesSync: true, Ct);
        Assert.Equal(job.JobId, during.JobId);

        Assert.True(await CompleteAsync(job));

        var info = (await _queue.GetJobAsync(job.JobId, Ct))!;
        Assert.Equal(JobState.Pending, info.State);
        var again = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(job.JobId, again.JobId);
        Assert.True(await CompleteAsync(again));
        Assert.Equal(JobState.Done, (await _queue.GetJobAsync(job.JobId, Ct))!.State);
    }

    [Fact]
    public async Task A_worker_whose_lease_expired_is_fenced_out()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        var slow = (await ClaimAsync("slow", TimeSpan.FromMilliseconds(1), Ct))!;
        await Task.Delay(50, Ct);
        var takeover = (await ClaimAsync("fast", TimeSpan.FromMinutes(1), Ct))!;

        Assert.Equal(slow.JobId, takeover.JobId);
        Assert.Equal(slow.Attempt + 1, takeover.Attempt);
        Assert.False(await _queue.RenewLeaseAsync(slow, TimeSpan.FromMinutes(1), Ct));
        Assert.False(await CompleteAsync(slow));
        Assert.True(await CompleteAsync(takeover));
    }

    [Fact]
    public async Task Transient_failures_retry_until_the_window_has_passed_while_deferrals_and_hand_backs_never_count()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);

        var job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(JobState.Pending, await FinishAsync(job, JobTransition.Defer, window: TimeSpan.Zero));
        job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(JobState.Pending, await FinishAsync(job, JobTransition.HandBack, window: TimeSpan.Zero));

        // Within the window: back to pending, however many attempts.
        for (var i = 0; i < 12; i++)
        {
            job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
            Assert.Equal(i, job.Failures);
            Assert.Equal(JobState.Pending, await FinishAsync(job, JobTransition.Retry, window: TimeSpan.FromHours(1)));
        }

        // The window runs from the first failure of the run: once it has passed, the job is dead with the reason.
        await Task.Delay(50, Ct);
        job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(JobState.Dead, await FinishAsync(job, JobTransition.Retry, window: TimeSpan.FromMilliseconds(20)));
        var dead = (await _queue.GetJobAsync(job.JobId, Ct))!;
        Assert.Equal("boom", dead.LastError);
        Assert.Null(await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(job.JobId, Assert.Single(await _queue.ListDeadAsync(10, Ct)).JobId);

        // A retry after death is a fresh job for the same conversation; the dead one no longer waits for an operator.
        var retried = await _queue.RequestAsync("c1", SyncTrigger.Retry, null, Ct);
        Assert.NotEqual(job.JobId, retried.JobId);
        Assert.Empty(await _queue.ListDeadAsync(10, Ct));
    }

    [Fact]
    public async Task An_attempt_that_made_progress_starts_the_retry_window_again()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        var job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(JobState.Pending, await FinishAsync(job, JobTransition.Retry, window: TimeSpan.FromHours(1)));
        await Task.Delay(50, Ct);

        job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(1, job.Failures);
        Assert.Equal(JobState.Pending, await FinishAsync(job, JobTransition.Retry, window: TimeSpan.FromMilliseconds(20), progress: true));

        job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(0, job.Failures);
        Assert.Equal(JobState.Pending, await FinishAsync(job, JobTransition.Retry, window: TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_permanent_fault_is_dead_at_once_with_the_vendors_reason()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        var job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;

        Assert.Equal(JobState.Dead, await FinishAsync(job, JobTransition.Dead, window: TimeSpan.FromHours(24), error: "Zendesk update failed with 422: Requester is invalid"));

        var dead = Assert.Single(await _queue.ListDeadAsync(10, Ct));
        Assert.Equal("Zendesk update failed with 422: Requester is invalid", dead.Reason);
        Assert.Equal("c1", dead.ConversationId);
    }

    [Fact]
    public async Task An_event_that_arrives_during_the_last_attempt_is_never_dropped()
    {
        await _inbox.EnqueueAsync(Webhook("n1"), queuesSync: true, Ct);
        var job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        await _inbox.EnqueueAsync(Webhook("n2"), queuesSync: true, Ct);

        // The attempt fails for good, but a new event is waiting: the job runs again for it.
        Assert.Equal(JobState.Pending, await FinishAsync(job, JobTransition.Dead, window: TimeSpan.Zero));
        var again = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
        Assert.Equal(job.JobId, again.JobId);
        Assert.Equal(JobState.Dead, await FinishAsync(again, JobTransition.Dead, window: TimeSpan.Zero));
    }

    [Fact]
    public async Task A_stalled_worker_can_never_write_again_whatever_happened_to_the_job_since()
    {
        await _inbox.EnqueueAsync(Webhook("n1"), queuesSync: true, Ct);
        var stalled = (await ClaimAsync("w1", TimeSpan.FromMinutes(1), Ct))!;

        // Deferred, then re-run after an event: the attempt number starts over, the fencing token never does.
        Assert.Equal(JobState.Pending, await FinishAsync(stalled, JobTransition.Defer, window: TimeSpan.FromHours(1)));
        var second = (await ClaimAsync("w2", TimeSpan.FromMinutes(1), Ct))!;
        await _inbox.EnqueueAsync(Webhook("n2"), queuesSync: true, Ct);
        Assert.True(await CompleteAsync(second));
        var rerun = (await ClaimAsync("w3", TimeSpan.FromMinutes(1), Ct))!;

        Assert.True(rerun.Fence > second.Fence && second.Fence > stalled.Fence);
        Assert.Equal(stalled.Attempt, rerun.Attempt);
        Assert.False(await _queue.RenewLeaseAsync(stalled, TimeSpan.FromMinutes(1), Ct));
        await Assert.ThrowsAsync<LeaseLostException>(async () =>
        {
            await using var tx = new AttemptTransaction(_db.DataSource, stalled);
            await tx.CommitAsync(Ct);
        });
        Assert.False(await CompleteAsync(stalled));
        Assert.True(await CompleteAsync(rerun));
    }

    [Fact]
    public async Task A_job_whose_attempts_keep_dying_with_their_process_is_dead_with_that_reason()
    {
        await _queue.RequestAsync("poison", SyncTrigger.Api, null, Ct);
        for (var crash = 1; crash <= MaxClaims; crash++)
        {
            var job = await ClaimAsync("w", TimeSpan.FromMilliseconds(1), Ct);
            Assert.NotNull(job);
            await Task.Delay(20, Ct); // the process dies: no outcome, the lease runs out
        }

        Assert.Null(await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct));
        var dead = Assert.Single(await _queue.ListDeadAsync(10, Ct));
        Assert.Equal("poison", dead.ConversationId);
        Assert.Contains($"last {MaxClaims} attempts died with their process", dead.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retrying_every_dead_job_queues_one_fresh_job_per_conversation()
    {
        foreach (var conversation in new[] { "d1", "d2" })
        {
            await _queue.RequestAsync(conversation, SyncTrigger.Api, null, Ct);
            var job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
            Assert.Equal(JobState.Dead, await FinishAsync(job, JobTransition.Dead, window: TimeSpan.Zero));
        }

        var queued = await _queue.RetryDeadAsync(null, null, Ct);

        Assert.Equal(2, queued.Count);
        Assert.Empty(await _queue.ListDeadAsync(10, Ct));
        Assert.Equal(2, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs WHERE state = 'pending' AND trigger = 'retry'"));
    }

    [Fact]
    public async Task Attempts_are_logged_and_paged_newest_first_with_filters()
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        var job = (await ClaimAsync("w", TimeSpan.FromMinutes(1), Ct))!;
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
        var scripts = typeof(JobStore).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));
        Assert.Equal(scripts, Convert.ToInt32(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture));
    }

    // An attempt's fenced writes go to Postgres as one batch (fence first), and its last writes commit in
    // the batch that records its outcome: all of a batch is written, or none of it.

    [Fact]
    public async Task A_worker_that_lost_its_job_writes_nothing_of_its_batch_and_the_owner_writes_all_of_it()
    {
        var (stale, owner) = await TakenOverAsync();

        await using (var tx = new AttemptTransaction(_db.DataSource, stale))
        {
            RecordTicket(tx);
            await Assert.ThrowsAsync<LeaseLostException>(() => tx.CommitAsync(Ct));
        }

        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.tickets"));
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.synced_parts"));

        await CommitTicketAsync(owner);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.tickets WHERE ticket_id = 7001"));
        Assert.Equal(2, await _db.ScalarAsync("SELECT count(*) FROM sync.synced_parts"));
    }

    [Fact]
    public async Task A_statement_refused_in_the_middle_of_a_batch_leaves_none_of_the_batch_written()
    {
        var job = await ClaimNewJobAsync();

        await using (var tx = new AttemptTransaction(_db.DataSource, job))
        {
            RecordTicket(tx);
            tx.RecordStatus(7001, "closed", "solved", RefusedChange, []);
            await Assert.ThrowsAsync<PostgresException>(() => tx.CommitAsync(Ct));
        }

        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.tickets"));
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.synced_parts"));
    }

    [Fact]
    public async Task The_last_writes_commit_with_the_outcome_and_the_attempt_row()
    {
        var job = await ClaimNewJobAsync();
        await CommitTicketAsync(job);

        await using (var tx = new AttemptTransaction(_db.DataSource, job))
        {
            tx.RecordStatus(7001, "closed", "solved", new StatusChangeRow(AttemptLog.IntercomToZendesk, "closed", DateTimeOffset.UtcNow, "solved", DateTimeOffset.UtcNow), []);
            Assert.Equal(JobState.Done, (await tx.FinishAsync(Finish(job), Ct))?.State);
        }

        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.tickets WHERE intercom_state = 'closed' AND zendesk_status = 'solved'"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.status_changes"));
        Assert.Equal(1, await _db.ScalarAsync($"SELECT count(*) FROM sync.attempts WHERE job_id = {job.JobId} AND attempt_number = {job.Attempt}"));
    }

    [Fact]
    public async Task A_last_write_refused_records_no_outcome_and_leaves_the_job_to_its_lease()
    {
        var job = await ClaimNewJobAsync();
        await CommitTicketAsync(job);

        await using (var tx = new AttemptTransaction(_db.DataSource, job))
        {
            tx.RecordStatus(7001, "closed", "solved", RefusedChange, []);
            await Assert.ThrowsAsync<PostgresException>(() => tx.FinishAsync(Finish(job), Ct));
        }

        // Nothing acknowledged: no attempt row, no status pair, the job still running until its lease runs out.
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts"));
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.tickets WHERE intercom_state IS NOT NULL"));
        Assert.Equal(1, await _db.ScalarAsync($"SELECT count(*) FROM sync.jobs WHERE job_id = {job.JobId} AND state = 'running' AND fence = {job.Fence}"));
    }

    [Fact]
    public async Task A_worker_that_lost_its_job_records_neither_its_last_writes_nor_its_outcome()
    {
        var (stale, owner) = await TakenOverAsync();
        await CommitTicketAsync(owner);

        await using (var tx = new AttemptTransaction(_db.DataSource, stale))
        {
            tx.RecordStatus(7001, "closed", "solved", null, []);
            Assert.Null(await tx.FinishAsync(Finish(stale), Ct));
        }

        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts"));
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.tickets WHERE intercom_state IS NOT NULL"));
        Assert.Equal(1, await _db.ScalarAsync($"SELECT count(*) FROM sync.jobs WHERE state = 'running' AND fence = {owner.Fence}"));
    }

    /// <summary>sync.status_changes only takes the two directions: Postgres refuses this row.</summary>
    private static readonly StatusChangeRow RefusedChange = new("sideways", "closed", null, "solved", null);

    private async Task CommitTicketAsync(ClaimedJob job)
    {
        await using var tx = new AttemptTransaction(_db.DataSource, job);
        RecordTicket(tx);
        await tx.CommitAsync(Ct);
    }

    private static void RecordTicket(AttemptTransaction tx)
    {
        tx.RecordTicket(7001, "open", partsTotal: 2, partsGap: 0, importedComments: 2);
        tx.RecordParts(7001, [new LedgerPart("source", "comment", DateTimeOffset.UtcNow, null), new LedgerPart("p1", "comment", DateTimeOffset.UtcNow, null)]);
    }

    private static NpgsqlBatchCommand Finish(ClaimedJob job) =>
        JobStore.Finish(job, JobTransition.Completed, "Created ticket", TimeSpan.Zero, progress: true, DateTimeOffset.UtcNow, TimeSpan.FromDays(1),
            new AttemptRecord(0, job.JobId, job.Attempt, job.ConversationId, 7001, job.Trigger, AttemptOutcome.Success, "Created ticket", AttemptLog.IntercomToZendesk, 2, 5, DateTimeOffset.UtcNow));

    private async Task<ClaimedJob> ClaimNewJobAsync(TimeSpan? lease = null)
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        return (await ClaimAsync("w1", lease ?? TimeSpan.FromMinutes(1), Ct))!;
    }

    /// <summary>A job whose lease ran out and that another worker claimed: the first claim is stale.</summary>
    private async Task<(ClaimedJob Stale, ClaimedJob Owner)> TakenOverAsync()
    {
        var stale = await ClaimNewJobAsync(TimeSpan.FromMilliseconds(1));
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(20, Ct))
        {
            if (await ClaimAsync("w2", TimeSpan.FromMinutes(1), Ct) is { } owner)
            {
                return (stale, owner);
            }

            Assert.True(DateTime.UtcNow < deadline, "the expired lease was never taken over");
        }
    }

    private const int MaxClaims = 5;

    private async Task<ClaimedJob?> ClaimAsync(string worker, TimeSpan lease, CancellationToken cancellationToken) =>
        (await _queue.ClaimAsync(worker, lease, MaxClaims, cancellationToken)).Job;

    private async Task<bool> CompleteAsync(ClaimedJob job) =>
        await FinishAsync(job, JobTransition.Completed, TimeSpan.FromDays(1)) is not null;

    private async Task<JobState?> FinishAsync(ClaimedJob job, JobTransition transition, TimeSpan window, bool progress = false, string error = "boom")
    {
        await using var tx = new AttemptTransaction(_db.DataSource, job);
        var finished = await tx.FinishAsync(JobStore.Finish(job, transition, error, TimeSpan.Zero, progress, DateTimeOffset.UtcNow, window,
            new AttemptRecord(0, job.JobId, job.Attempt, job.ConversationId, null, job.Trigger, AttemptOutcome.Skipped, error, AttemptLog.IntercomToZendesk, 0, 0, DateTimeOffset.UtcNow)), Ct);
        return finished?.State;
    }
}
