using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Data;

/// <summary>
/// Records vendor deliveries (sync.inbox) and their jobs with group commit: deliveries that arrive while the
/// <see cref="Writers"/> are committing are written together in the next transaction (at most <see cref="MaxBatch"/>),
/// with one NOTIFY, and each caller is answered only once its row is durable. No fixed batching window: at low
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
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly Lazy<Task> _loop;
    private long _transactions;

    public InboxWriter(NpgsqlDataSource db)
    {
        _db = db;
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

    private async Task<EnqueueResult[]> CommitAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        // The first delivery of each id in the batch is the one written; later ones are its duplicates.
        var firstOf = new Dictionary<(string, string), int>();
        var unique = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (firstOf.TryAdd((batch[i].Delivery.Source, batch[i].Delivery.DeliveryId), i))
            {
                unique.Add(i);
            }
        }

        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await InsertAsync(connection, tx,
            [.. unique.Select(i => batch[i].Delivery).OrderBy(d => d.Source, StringComparer.Ordinal).ThenBy(d => d.DeliveryId, StringComparer.Ordinal)],
            cancellationToken);

        var results = new EnqueueResult[batch.Count];
        var queued = new List<int>();
        foreach (var i in unique.Where(i => inserted.Contains((batch[i].Delivery.Source, batch[i].Delivery.DeliveryId))))
        {
            if (batch[i].QueuesSync)
            {
                queued.Add(i);
            }
            else
            {
                results[i] = new EnqueueResult(0, Duplicate: false, Ignored: true);
                if (batch[i].Ignored is { } attempt)
                {
                    await AttemptLog.RecordAsync(connection, tx, attempt, cancellationToken);
                }
            }
        }

        var jobs = await UpsertJobsAsync(connection, tx, [.. queued.Select(i => batch[i].Delivery)], cancellationToken);
        foreach (var i in queued)
        {
            results[i] = new EnqueueResult(jobs[batch[i].Delivery.ConversationId!], Duplicate: false, Ignored: false);
        }

        await tx.CommitAsync(cancellationToken);

        var earlier = unique.Where(i => results[i] is null).ToList();
        var recorded = await RecordedJobsAsync([.. earlier.Select(i => batch[i].Delivery)], cancellationToken);
        foreach (var i in earlier)
        {
            results[i] = new EnqueueResult(recorded.GetValueOrDefault((batch[i].Delivery.Source, batch[i].Delivery.DeliveryId)), Duplicate: true, Ignored: false);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            results[i] ??= results[firstOf[(batch[i].Delivery.Source, batch[i].Delivery.DeliveryId)]] with { Duplicate = true, Ignored = false };
        }

        return results;
    }

    private static async Task<HashSet<(string, string)>> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Delivery[] deliveries, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO sync.inbox (source, delivery_id, topic, conversation_id, ticket_id, event_at, payload)
            SELECT * FROM unnest(@sources, @delivery_ids, @topics, @conversation_ids, @ticket_ids, @event_ats, @payloads)
            ON CONFLICT (source, delivery_id) DO NOTHING
            RETURNING source, delivery_id
            """, connection, tx);
        insert.Parameters.AddWithValue("sources", deliveries.Select(d => d.Source).ToArray());
        insert.Parameters.AddWithValue("delivery_ids", deliveries.Select(d => d.DeliveryId).ToArray());
        insert.Parameters.AddWithValue("topics", deliveries.Select(d => d.Topic).ToArray());
        insert.Parameters.AddWithValue("conversation_ids", NpgsqlDbType.Array | NpgsqlDbType.Text, deliveries.Select(d => d.ConversationId).ToArray());
        insert.Parameters.AddWithValue("ticket_ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, deliveries.Select(d => d.TicketId).ToArray());
        insert.Parameters.AddWithValue("event_ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, deliveries.Select(d => d.EventAt?.ToUniversalTime()).ToArray());
        insert.Parameters.AddWithValue("payloads", NpgsqlDbType.Array | NpgsqlDbType.Bytea, deliveries.Select(d => d.Payload.ToArray()).ToArray());
        var inserted = new HashSet<(string, string)>();
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            inserted.Add((reader.GetString(0), reader.GetString(1)));
        }

        return inserted;
    }

    /// <summary>One job per conversation (new, or the active one the deliveries fold into), the inbox rows linked to it, one NOTIFY.</summary>
    private static async Task<Dictionary<string, long>> UpsertJobsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Delivery[] deliveries, CancellationToken cancellationToken)
    {
        var jobs = new Dictionary<string, long>(StringComparer.Ordinal);
        if (deliveries.Length == 0)
        {
            return jobs;
        }

        var conversations = deliveries.GroupBy(d => d.ConversationId!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        await using (var upserts = new NpgsqlBatch(connection, tx))
        {
            foreach (var conversation in conversations)
            {
                upserts.BatchCommands.Add(JobStore.UpsertJobCommand(
                    conversation.Key, SyncTrigger.Webhook, conversation.First().TraceParent, conversation.Min(d => d.EventAt)));
            }

            await using var reader = await upserts.ExecuteReaderAsync(cancellationToken);
            foreach (var conversation in conversations)
            {
                await reader.ReadAsync(cancellationToken);
                jobs[conversation.Key] = reader.GetInt64(0);
                await reader.NextResultAsync(cancellationToken);
            }
        }

        await using var link = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    UPDATE sync.inbox SET job_id = d.job_id
                    FROM unnest(@sources, @delivery_ids, @job_ids) AS d(source, delivery_id, job_id)
                    WHERE inbox.source = d.source AND inbox.delivery_id = d.delivery_id
                    """)
                {
                    Parameters =
                    {
                        new("sources", deliveries.Select(d => d.Source).ToArray()),
                        new("delivery_ids", deliveries.Select(d => d.DeliveryId).ToArray()),
                        new("job_ids", deliveries.Select(d => jobs[d.ConversationId!]).ToArray()),
                    },
                },
                // Wakes idle workers on every replica as soon as the transaction commits.
                new NpgsqlBatchCommand($"NOTIFY {JobStore.NotifyChannel}"),
            },
        };
        await link.ExecuteNonQueryAsync(cancellationToken);
        return jobs;
    }

    private async Task<Dictionary<(string, string), long>> RecordedJobsAsync(Delivery[] deliveries, CancellationToken cancellationToken)
    {
        var jobs = new Dictionary<(string, string), long>();
        if (deliveries.Length == 0)
        {
            return jobs;
        }

        await using var command = _db.CreateCommand("""
            SELECT i.source, i.delivery_id, COALESCE(i.job_id, 0)
            FROM sync.inbox i JOIN unnest(@sources, @delivery_ids) AS d(source, delivery_id) ON i.source = d.source AND i.delivery_id = d.delivery_id
            """);
        command.Parameters.AddWithValue("sources", deliveries.Select(d => d.Source).ToArray());
        command.Parameters.AddWithValue("delivery_ids", deliveries.Select(d => d.DeliveryId).ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return jobs;
    }

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
