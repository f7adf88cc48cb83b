using Ferry.Testing;
using Ferry.TicketService.Data;
using Npgsql;

namespace Ferry.TicketService.Tests.Queue;

/// <summary>
/// An attempt's fenced writes go to Postgres as one batch (fence first), and its last writes commit in the
/// batch that records its outcome: all of a batch is written, or none of it.
/// </summary>
public sealed class AttemptTransactionTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly SyncDatabase _db = new(postgres);
    private JobStore _queue = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _queue = new JobStore(_db.DataSource, TimeProvider.System);
    }

    public async ValueTask DisposeAsync() => await _db.DisposeAsync();

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

        await using (var tx = new AttemptTransaction(_db.DataSource, owner))
        {
            RecordTicket(tx);
            await tx.CommitAsync(Ct);
        }

        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.tickets WHERE ticket_id = 7001"));
        Assert.Equal(2, await _db.ScalarAsync("SELECT count(*) FROM sync.synced_parts"));
    }

    [Fact]
    public async Task A_statement_refused_in_the_middle_of_a_batch_leaves_none_of_the_batch_written()
    {
        var job = await ClaimAsync();

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
        var job = await ClaimAsync();
        await using (var tx = new AttemptTransaction(_db.DataSource, job))
        {
            RecordTicket(tx);
            await tx.CommitAsync(Ct);
        }

        await using (var tx = new AttemptTransaction(_db.DataSource, job))
        {
            tx.RecordStatus(7001, "closed", "solved", new StatusChangeRow(AttemptLog.IntercomToZendesk, "closed", DateTimeOffset.UtcNow, "solved", DateTimeOffset.UtcNow), []);
            Assert.Equal(JobState.Done, await tx.FinishAsync(Finish(job), Ct));
        }

        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.tickets WHERE intercom_state = 'closed' AND zendesk_status = 'solved'"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.status_changes"));
        Assert.Equal(1, await _db.ScalarAsync($"SELECT count(*) FROM sync.attempts WHERE job_id = {job.JobId} AND attempt_number = {job.Attempt}"));
    }

    [Fact]
    public async Task A_last_write_refused_records_no_outcome_and_leaves_the_job_to_its_lease()
    {
        var job = await ClaimAsync();
        await using (var tx = new AttemptTransaction(_db.DataSource, job))
        {
            RecordTicket(tx);
            await tx.CommitAsync(Ct);
        }

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
        await using (var tx = new AttemptTransaction(_db.DataSource, owner))
        {
            RecordTicket(tx);
            await tx.CommitAsync(Ct);
        }

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

    private static void RecordTicket(AttemptTransaction tx)
    {
        tx.RecordTicket(7001, "open", partsTotal: 2, partsGap: 0, importedComments: 2);
        tx.RecordParts(7001, [new LedgerPart("source", "comment", DateTimeOffset.UtcNow, null), new LedgerPart("p1", "comment", DateTimeOffset.UtcNow, null)]);
    }

    private static NpgsqlBatchCommand Finish(ClaimedJob job) =>
        JobStore.Finish(job, JobTransition.Completed, "Created ticket", TimeSpan.Zero, progress: true, DateTimeOffset.UtcNow, TimeSpan.FromDays(1),
            new AttemptRecord(0, job.JobId, job.Attempt, job.ConversationId, 7001, job.Trigger, AttemptOutcome.Success, "Created ticket", AttemptLog.IntercomToZendesk, 2, 5, DateTimeOffset.UtcNow));

    private async Task<ClaimedJob> ClaimAsync(TimeSpan? lease = null)
    {
        await _queue.RequestAsync("c1", SyncTrigger.Api, null, Ct);
        return (await _queue.ClaimAsync("w1", lease ?? TimeSpan.FromMinutes(1), 5, Ct))!;
    }

    /// <summary>A job whose lease ran out and that another worker claimed: the first claim is stale.</summary>
    private async Task<(ClaimedJob Stale, ClaimedJob Owner)> TakenOverAsync()
    {
        var stale = await ClaimAsync(TimeSpan.FromMilliseconds(1));
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(20, Ct))
        {
            if (await _queue.ClaimAsync("w2", TimeSpan.FromMinutes(1), 5, Ct) is { } owner)
            {
                return (stale, owner);
            }

            Assert.True(DateTime.UtcNow < deadline, "the expired lease was never taken over");
        }
    }
}
