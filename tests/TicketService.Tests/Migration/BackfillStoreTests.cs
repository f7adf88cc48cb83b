using Ferry.Testing;
using Ferry.TicketService.Migration;

namespace Ferry.TicketService.Tests.Migration;

/// <summary>The holds a bulk batch takes in sync.jobs, against the real schema.</summary>
public sealed class BackfillStoreTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly SyncDatabase _db = new(postgres);
    private BackfillStore _store = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _store = new BackfillStore(_db.DataSource);
    }

    public async ValueTask DisposeAsync() => await _db.DisposeAsync();

    /// <summary>
    /// A batch reads which conversations are linked, then holds the rest. Live sync may finish one in between
    /// (its job done, its ticket in the ledger): the hold must not be taken, or the batch imports a second ticket.
    /// </summary>
    [Fact]
    public async Task A_conversation_live_sync_linked_after_the_batch_looked_is_not_held()
    {
        var unlinked = await _store.LinkedAsync(["c-linked", "c-new"], Ct);
        Assert.Empty(unlinked);

        // Live sync ends its attempt on c-linked now: the ticket in the ledger, then its job done.
        await _db.ScalarAsync("INSERT INTO sync.tickets (conversation_id, ticket_id) VALUES ('c-linked', 41) RETURNING 1");
        await _db.ScalarAsync("INSERT INTO sync.jobs (conversation_id, trigger, state) VALUES ('c-linked', 'webhook', 'done') RETURNING 1");

        var held = await _store.HoldAsync(["c-linked", "c-new"], "bulk-run", TimeSpan.FromMinutes(10), Ct);

        Assert.Equal(["c-new"], held.Keys);
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs WHERE conversation_id = 'c-linked' AND state = 'running'"));
    }

    /// <summary>
    /// The narrower window: live sync ends its attempt while the hold's insert runs (the insert waits for the
    /// job row live sync is updating, after its snapshot was taken). The insert then takes the hold; it must
    /// not survive it.
    /// </summary>
    [Fact]
    public async Task A_conversation_live_sync_links_while_the_hold_is_being_inserted_is_not_held()
    {
        await _db.ScalarAsync("INSERT INTO sync.jobs (conversation_id, trigger, state, lease_owner) VALUES ('c-race', 'webhook', 'running', 'worker') RETURNING 1");
        await using var liveSync = await _db.DataSource.OpenConnectionAsync(Ct);
        await using var attempt = await liveSync.BeginTransactionAsync(Ct);
        await using (var ends = new Npgsql.NpgsqlCommand("""
            INSERT INTO sync.tickets (conversation_id, ticket_id) VALUES ('c-race', 42);
            UPDATE sync.jobs SET state = 'done', lease_owner = NULL WHERE conversation_id = 'c-race';
            """, liveSync, attempt))
        {
            await ends.ExecuteNonQueryAsync(Ct);
        }

        var holding = _store.HoldAsync(["c-race"], "bulk-run", TimeSpan.FromMinutes(10), Ct);
        await WaitUntilBlockedAsync();
        Assert.False(holding.IsCompleted);
        await attempt.CommitAsync(Ct);

        Assert.Empty(await holding);
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs WHERE conversation_id = 'c-race' AND state = 'running'"));
    }

    /// <summary>Until a backend of this database waits for a lock (the hold's insert, on the job row live sync updates).</summary>
    private async Task WaitUntilBlockedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await _db.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The hold's insert never waited for live sync's job row.");
            await Task.Delay(20, Ct);
        }
    }
}
