using System.Threading.Channels;
using Ferry.Testing;
using Ferry.TicketService.Attempts;
using Ferry.TicketService.Data;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.TicketService.Tests.Attempts;

/// <summary>The WatchSyncs fan-out on real Postgres LISTEN/NOTIFY: it never goes silent, and one slow watcher harms no other.</summary>
public sealed class AttemptFeedTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly SyncDatabase _db = new(postgres);
    private AttemptFeed _feed = null!;
    private long _jobId;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _jobId = (await new JobStore(_db.DataSource, TimeProvider.System).RequestAsync("conv-feed", SyncTrigger.Api, null, Ct)).JobId;
        _feed = new AttemptFeed(_db.DataSource, new AttemptLog(_db.DataSource), NullLogger<AttemptFeed>.Instance);
        await _feed.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _feed.StopAsync(CancellationToken.None);
        _feed.Dispose();
        await _db.DisposeAsync();
    }

    /// <summary>Records <paramref name="count"/> attempts and announces each, as AttemptLog does.</summary>
    private Task<long> RecordAsync(int count) => _db.ScalarAsync($"""
        WITH a AS (
            INSERT INTO sync.attempts (job_id, attempt_number, conversation_id, trigger, outcome, started_at)
            SELECT {_jobId}, n, 'conv-feed', 'api', 'failure', now() FROM generate_series(1, {count}) AS n
            RETURNING attempt_id)
        SELECT count(pg_notify('{AttemptLog.NotifyChannel}', attempt_id::text)) FROM a
        """);

    /// <summary>Records one attempt at a time until the subscriber hears one: the feed's LISTEN is then in place.</summary>
    private async Task ListeningAsync(ChannelReader<AttemptRecord> reader)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Patience);
        while (!reader.TryRead(out _))
        {
            await RecordAsync(1);
            await Task.Delay(100, timeout.Token);
        }
    }

    private static async Task<AttemptRecord> NextAsync(ChannelReader<AttemptRecord> reader) =>
        await reader.ReadAsync(Ct).AsTask().WaitAsync(Patience, Ct);

    [Fact]
    public async Task A_publish_that_fails_does_not_silence_the_feed()
    {
        var reader = _feed.Subscribe(Ct);
        await ListeningAsync(reader);
        while (reader.TryRead(out _))
        {
        }

        // Reading the announced attempt fails (the table is briefly unreachable), as do junk notifications.
        await _db.ScalarAsync("ALTER TABLE sync.attempts RENAME TO attempts_away; SELECT 1");
        await _db.ScalarAsync($"SELECT pg_notify('{AttemptLog.NotifyChannel}', '1'), pg_notify('{AttemptLog.NotifyChannel}', 'not-an-id')");
        await Task.Delay(500, Ct);
        await _db.ScalarAsync("ALTER TABLE sync.attempts_away RENAME TO attempts; SELECT 1");

        await RecordAsync(1);

        Assert.Equal("conv-feed", (await NextAsync(reader)).ConversationId);
    }

    [Fact]
    public async Task A_watcher_that_falls_behind_is_disconnected_with_a_clear_error_and_the_others_keep_receiving()
    {
        var fast = _feed.Subscribe(Ct);
        var slow = _feed.Subscribe(Ct);
        await ListeningAsync(fast);
        var received = 0;
        var draining = Task.Run(async () =>
        {
            while (received < AttemptFeed.SubscriberCapacity + 1)
            {
                await fast.ReadAsync(Ct);
                received++;
            }
        }, Ct);

        await RecordAsync(AttemptFeed.SubscriberCapacity + 1);

        await draining.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        // The slow watcher gets what it had buffered, then the reason it was cut off.
        var backlog = 0;
        var gone = await Assert.ThrowsAsync<WatcherTooSlowException>(async () =>
        {
            await foreach (var _ in slow.ReadAllAsync(Ct))
            {
                backlog++;
            }
        });
        Assert.Equal(AttemptFeed.SubscriberCapacity, backlog);
        Assert.Contains("fell more than 1024 attempts behind", gone.Message, StringComparison.Ordinal);
    }
}
