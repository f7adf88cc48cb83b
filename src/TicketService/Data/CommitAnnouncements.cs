using System.Threading.Channels;
using Npgsql;

namespace Ferry.TicketService.Data;

/// <summary>
/// The NOTIFYs that announce committed work — new jobs (<see cref="JobStore.NotifyChannel"/>, wakes idle workers on
/// every replica) and attempt rows (<see cref="AttemptLog.NotifyChannel"/>, for WatchSyncs) — sent once their
/// transaction has committed, in a short transaction of their own that does not wait for its WAL flush.
/// Why not inside the data transaction: Postgres serialises every commit that has issued a NOTIFY behind a
/// cluster-wide lock held through its WAL flush, so Enqueue's commits and the workers' could no longer share a
/// flush (measured with pgbench, 8 clients: a one-row commit took 2.2–2.7 ms alone and 8.6–11.4 ms with a NOTIFY;
/// docs/BENCHMARKS.md). The announcements are hints: workers also poll every <c>Queue:PollInterval</c>, and a
/// watcher misses only what a crash between commit and announcement loses. Local workers are woken in-process
/// at once, without waiting for their own NOTIFY to come back.
/// </summary>
public sealed partial class CommitAnnouncements : IAsyncDisposable
{
    private readonly NpgsqlDataSource _db;
    private readonly ILogger<CommitAnnouncements> _logger;
    private readonly Channel<long> _pending = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _sending;
    private Action? _jobsQueuedHere;

    public CommitAnnouncements(NpgsqlDataSource db, ILogger<CommitAnnouncements> logger)
    {
        _db = db;
        _logger = logger;
        _sending = Task.Run(SendAsync);
    }

    /// <summary>Jobs were committed: wakes this process's workers now and every replica's through NOTIFY.</summary>
    public void JobsQueued()
    {
        _jobsQueuedHere?.Invoke();
        _pending.Writer.TryWrite(JobsMarker);
    }

    /// <summary>An attempt row was committed: WatchSyncs streams on every replica read and publish it.</summary>
    public void AttemptRecorded(long attemptId) => _pending.Writer.TryWrite(attemptId);

    /// <summary>The payload of this process's job NOTIFYs: its own listener skips them, its workers were woken in-process.</summary>
    public string Sender { get; } = Guid.NewGuid().ToString("N");

    /// <summary>This process's workers, woken when <see cref="JobsQueued"/> is called here.</summary>
    public void OnJobsQueuedHere(Action wake) => _jobsQueuedHere += wake;

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _sending;
    }

    private const long JobsMarker = 0;

    private async Task SendAsync()
    {
        var attempts = new List<long>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            // Everything that queued up while the previous announcement was on its way goes in one transaction.
            var jobs = false;
            attempts.Clear();
            while (_pending.Reader.TryRead(out var item))
            {
                if (item == JobsMarker)
                {
                    jobs = true;
                }
                else
                {
                    attempts.Add(item);
                }
            }

            try
            {
                await NotifyAsync(jobs, attempts);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogNotifyFailed(_logger, jobs, attempts.Count, e);
            }
        }
    }

    private async Task NotifyAsync(bool jobs, List<long> attempts)
    {
        await using var connection = await _db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, tx);
        // Only the announcement is in this transaction: losing it in a crash loses nothing durable.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO OFF"));
        if (jobs)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {JobStore.NotifyChannel}, '{Sender}'"));
        }

        if (attempts.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{AttemptLog.NotifyChannel}', id::text) FROM unnest(@ids) AS id")
            {
                Parameters = { new("ids", attempts.ToArray()) },
            });
        }

        await batch.ExecuteNonQueryAsync();
        await tx.CommitAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce committed work (new jobs: {Jobs}, attempts: {Attempts}); workers find the jobs at their next poll")]
    private static partial void LogNotifyFailed(ILogger logger, bool jobs, int attempts, Exception exception);
}
