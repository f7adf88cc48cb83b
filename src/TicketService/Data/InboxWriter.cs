using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Data;

/// <summary>
/// Records vendor deliveries (sync.inbox) and their jobs with group commit: deliveries that arrive while the
/// <see cref="Writers"/> are committing are written together in the next transaction (at most <see cref="MaxBatch"/>),
/// and each caller is answered only once its row is durable; workers are woken after the commit
/// (<see cref="CommitAnnouncements"/>). No fixed batching window: at low
/// load a batch is one delivery and costs what a single transaction does; under load the batches grow and
/// the commits per second stay flat. A duplicate delivery id is a duplicate whether it was recorded in an
/// earlier or concurrent batch (the primary key) or earlier in the same one. A batch that fails is written
/// again one delivery per transaction, so a row Postgres refuses fails its own caller only.
/// </summary>
public sealed class InboxWriter : IAsyncDisposable
{
    public const int MaxBatch = 256;

    /// <summary>
    /// Batches in flight at once: a delivery that arrives while one batch commits starts the next at once
    /// instead of waiting a whole commit. Rows and jobs are written in key order, so two batches never
    /// wait on each other in a cycle.
    /// </summary>
    public const int Writers = 2;

    private readonly NpgsqlDataSource _db;
    private readonly CommitAnnouncements _announcements;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly Lazy<Task> _loop;
    private long _transactions;

    public InboxWriter(NpgsqlDataSource db, CommitAnnouncements announcements)
    {
        _db = db;
        _announcements = announcements;
        _loop = new Lazy<Task>(() => Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteBatchesAsync))));
    }

    /// <summary>Transactions committed so far (each holds one batch).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <param name="queuesSync">False: recorded only (an unused topic, a ticket Ferry did not create).</param>
    /// <param name="ignored">Logged (once, with the delivery) when the delivery queues nothing, so the operator sees why.</param>
    public Task<EnqueueResult> EnqueueAsync(Delivery delivery, bool queuesSync, CancellationToken cancellationToken, AttemptRecord? ignored = null)
    {
        _ = _loop.Value;
        var pending = new Pending(delivery, queuesSync && !string.IsNullOrEmpty(delivery.ConversationId), ignored);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        // A caller that gives up stops waiting; its delivery may still commit, and its redelivery is then a duplicate.
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteBatchesAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                // Not cancellable: callers may stop waiting, but a batch is always finished (and answered).
                Answer(batch, await CommitAsync(batch, CancellationToken.None));
            }
            catch (PostgresException) when (batch.Count > 1)
            {
                // Postgres refused something in the batch: each delivery again alone, so only the refused one fails.
                foreach (var pending in batch)
                {
                    await CommitAloneAsync(pending);
                }
            }
            catch (Exception e)
            {
                // Postgres unreachable or the connection lost: nothing was acknowledged, every caller answers 503
                // and the vendors redeliver.
                batch.ForEach(p => p.Done.TrySetException(e));
            }

            batch.Clear();
        }
    }

    private async Task CommitAloneAsync(Pending pending)
    {
        try
        {
            Answer([pending], await CommitAsync([pending], CancellationToken.None));
        }
        catch (Exception e)
        {
            pending.Done.TrySetException(e);
        }
    }

    private void Answer(List<Pending> batch, EnqueueResult[] results)
    {
        Interlocked.Increment(ref _transactions);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Done.TrySetResult(results[i]);
        }
    }

    /// <summary>
    /// True for a row this transaction wrote (inserted or updated), false for one an earlier transaction
    /// committed: how the batch's later statements tell new deliveries from redeliveries without a round trip
    /// between them. (A raw xid recurs only after 2^32 transactions; inbox rows are purged long before.)
    /// </summary>
    private const string WrittenNow = "i.xmin = pg_current_xact_id_if_assigned()::xid";

    private async Task<EnqueueResult[]> CommitAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        // The first delivery of each id in the batch is the one written; later ones are its duplicates.
        var firstOf = new Dictionary<(string, string), int>();
        var unique = new List<Pending>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (firstOf.TryAdd(Key(batch[i]), i))
            {
                unique.Add(batch[i]);
            }
        }

        // Key order: rows and jobs are locked in the same order by every writer (no deadlock between two batches).
        unique.Sort((a, b) => string.CompareOrdinal(a.Delivery.Source, b.Delivery.Source) is var bySource and not 0
            ? bySource : string.CompareOrdinal(a.Delivery.DeliveryId, b.Delivery.DeliveryId));
        var queued = unique.Where(p => p.QueuesSync).ToList();

        // One round trip, one commit: without an explicit transaction Npgsql sends the batch with a single Sync,
        // so its statements run as one implicit transaction, all committed or none.
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var write = new NpgsqlBatch(connection);
        write.BatchCommands.Add(InsertCommand(unique));
        if (queued.Count > 0)
        {
            write.BatchCommands.Add(UpsertJobsCommand(queued));
            write.BatchCommands.Add(LinkJobsCommand(queued));
        }

        foreach (var pending in unique.Where(p => !p.QueuesSync && p.Ignored is not null))
        {
            write.BatchCommands.Add(IgnoredAttemptCommand(pending));
        }

        write.BatchCommands.Add(RecordedCommand(unique));
        var recorded = new Dictionary<(string, string), (long JobId, bool WrittenNow)>();
        var ignoredAttempts = new List<long>();
        await using (var reader = await write.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                var columns = reader.FieldCount > 0 ? reader.GetName(0) : null;
                while (columns is "recorded_source" or "ignored_attempt_id" && await reader.ReadAsync(cancellationToken))
                {
                    if (columns == "recorded_source")
                    {
                        recorded[(reader.GetString(0), reader.GetString(1))] = (reader.GetInt64(2), reader.GetBoolean(3));
                    }
                    else
                    {
                        ignoredAttempts.Add(reader.GetInt64(0));
                    }
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        // Committed (the reader is done with the implicit transaction): now wake the workers and the watchers.
        if (queued.Count > 0)
        {
            _announcements.JobsQueued();
        }

        ignoredAttempts.ForEach(_announcements.AttemptRecorded);

        var results = new EnqueueResult[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var (jobId, writtenNow) = recorded[Key(batch[i])];
            results[i] = firstOf[Key(batch[i])] != i || !writtenNow ? new EnqueueResult(jobId, Duplicate: true, Ignored: false)
                : batch[i].QueuesSync ? new EnqueueResult(jobId, Duplicate: false, Ignored: false)
                : new EnqueueResult(0, Duplicate: false, Ignored: true);
        }

        return results;
    }

    private static (string, string) Key(Pending pending) => (pending.Delivery.Source, pending.Delivery.DeliveryId);

    private static NpgsqlBatchCommand InsertCommand(List<Pending> batch) => new("""
        INSERT INTO sync.inbox (source, delivery_id, topic, conversation_id, ticket_id, event_at, payload)
        SELECT * FROM unnest(@sources, @delivery_ids, @topics, @conversation_ids, @ticket_ids, @event_ats, @payloads)
        ON CONFLICT (source, delivery_id) DO NOTHING
        """)
    {
        Parameters =
        {
            new("sources", batch.Select(p => p.Delivery.Source).ToArray()),
            new("delivery_ids", batch.Select(p => p.Delivery.DeliveryId).ToArray()),
            new("topics", batch.Select(p => p.Delivery.Topic).ToArray()),
            new("conversation_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = batch.Select(p => p.Delivery.ConversationId).ToArray() },
            new("ticket_ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = batch.Select(p => p.Delivery.TicketId).ToArray() },
            new("event_ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = batch.Select(p => p.Delivery.EventAt?.ToUniversalTime()).ToArray() },
            new("payloads", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = batch.Select(p => p.Delivery.Payload.ToArray()).ToArray() },
        },
    };

    /// <summary>One job per conversation with new deliveries: a new one, or the active one they fold into.</summary>
    private static NpgsqlBatchCommand UpsertJobsCommand(List<Pending> queued) => new($"""
        INSERT INTO sync.jobs (conversation_id, trigger, traceparent, first_event_at)
        SELECT i.conversation_id, @trigger, min(d.traceparent), min(i.event_at)
        FROM sync.inbox i JOIN unnest(@sources, @delivery_ids, @traceparents) AS d(source, delivery_id, traceparent)
             ON i.source = d.source AND i.delivery_id = d.delivery_id
        WHERE {WrittenNow}
        GROUP BY i.conversation_id
        ORDER BY i.conversation_id
        {JobStore.FoldIntoActiveJobSql}
        """)
    {
        Parameters =
        {
            new("trigger", SyncTrigger.Webhook.ToDb()),
            new("sources", queued.Select(p => p.Delivery.Source).ToArray()),
            new("delivery_ids", queued.Select(p => p.Delivery.DeliveryId).ToArray()),
            new("traceparents", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = queued.Select(p => p.Delivery.TraceParent).ToArray() },
        },
    };

    private static NpgsqlBatchCommand LinkJobsCommand(List<Pending> queued) => new($"""
        UPDATE sync.inbox i SET job_id = j.job_id
        FROM unnest(@sources, @delivery_ids) AS d(source, delivery_id), sync.jobs j
        WHERE i.source = d.source AND i.delivery_id = d.delivery_id AND {WrittenNow}
          AND j.conversation_id = i.conversation_id AND j.state IN ('pending', 'running')
        """)
    {
        Parameters =
        {
            new("sources", queued.Select(p => p.Delivery.Source).ToArray()),
            new("delivery_ids", queued.Select(p => p.Delivery.DeliveryId).ToArray()),
        },
    };

    /// <summary>The attempt log's line for a delivery that queues nothing, written only with the delivery itself.</summary>
    private static NpgsqlBatchCommand IgnoredAttemptCommand(Pending pending)
    {
        var command = new NpgsqlBatchCommand($"""
            WITH logged AS ({AttemptLog.InsertSql($"FROM sync.inbox i WHERE i.source = @source AND i.delivery_id = @delivery_id AND {WrittenNow}")})
            SELECT attempt_id AS ignored_attempt_id FROM logged
            """);
        AttemptLog.Bind(command.Parameters, pending.Ignored!);
        command.Parameters.AddWithValue("source", pending.Delivery.Source);
        command.Parameters.AddWithValue("delivery_id", pending.Delivery.DeliveryId);
        return command;
    }

    /// <summary>Every delivery of the batch as recorded now: its job, and whether this transaction wrote it.</summary>
    private static NpgsqlBatchCommand RecordedCommand(List<Pending> batch) => new($"""
        SELECT i.source AS recorded_source, i.delivery_id, COALESCE(i.job_id, 0), COALESCE({WrittenNow}, false)
        FROM sync.inbox i JOIN unnest(@sources, @delivery_ids) AS d(source, delivery_id) ON i.source = d.source AND i.delivery_id = d.delivery_id
        """)
    {
        Parameters =
        {
            new("sources", batch.Select(p => p.Delivery.Source).ToArray()),
            new("delivery_ids", batch.Select(p => p.Delivery.DeliveryId).ToArray()),
        },
    };

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop.IsValueCreated)
        {
            await _loop.Value;
        }
    }

    private sealed record Pending(Delivery Delivery, bool QueuesSync, AttemptRecord? Ignored)
    {
        public TaskCompletionSource<EnqueueResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
