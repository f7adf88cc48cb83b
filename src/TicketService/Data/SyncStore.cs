using Ferry.ServiceDefaults.Vendors;
using Ferry.TicketService.Vendors.Intercom;
using Npgsql;

namespace Ferry.TicketService.Data;

public sealed record TicketLink(string ConversationId, long TicketId, string? Status, int PartsTotal, int PartsGap, int SyncedParts, DateTimeOffset LastSyncedAt);

/// <summary>What an attempt plans from, read in one round trip.</summary>
/// <param name="RequesterHint">
/// The requester (first contact) the newest Intercom webhook not yet weighed names, if any: the attempt reads that
/// contact while it reads the conversation, which has the last word on who the requester is.
/// </param>
public sealed record AttemptRecords(TicketLink? Link, HashSet<string> Synced, string? RequesterHint);

/// <summary>The last status change Ferry applied in one direction, and the version it produced.</summary>
public sealed record LastStatusChange(string AppliedStatus, DateTimeOffset? Version);

/// <summary>A recorded delivery whose status claim no attempt has weighed yet.</summary>
public sealed record UncheckedDelivery(string Source, string DeliveryId, string Topic, byte[] Payload, DateTimeOffset? EventAt);

/// <summary>What the status round-trip weighs from Ferry's records.</summary>
/// <param name="IntercomState">The status Ferry last saw in step on the Intercom side (null: never); likewise <paramref name="ZendeskStatus"/>.</param>
/// <param name="LastChanges">The last change Ferry applied in each direction ("intercom->zendesk", "zendesk->intercom").</param>
public sealed record StatusRecords(
    string? IntercomState, string? ZendeskStatus, IReadOnlyList<UncheckedDelivery> Deliveries, IReadOnlyDictionary<string, LastStatusChange> LastChanges);

/// <summary>
/// Reads of the sync state: sync.tickets (conversation ↔ ticket, the in-step status pair), the
/// sync.synced_parts ledger, status changes and unweighed deliveries. Writes made during an attempt go
/// through <see cref="AttemptTransaction"/>, which fences them.
/// </summary>
public sealed class SyncStore(NpgsqlDataSource db)
{
    private const string LinkSql = """
        SELECT t.conversation_id, t.ticket_id, t.status, t.parts_total, t.parts_gap,
               (SELECT count(*) FROM sync.synced_parts p WHERE p.conversation_id = t.conversation_id)::int,
               t.last_synced_at
        FROM sync.tickets t WHERE t.conversation_id = @conversation_id
        """;

    private const string SyncedPartIdsSql = "SELECT part_id FROM sync.synced_parts WHERE conversation_id = @conversation_id";

    // The deliveries this attempt is about are the ones not weighed yet (the index the status round-trip reads them by).
    private const string NewestWebhookSql = """
        SELECT payload FROM sync.inbox
        WHERE conversation_id = @conversation_id AND NOT status_checked AND source = 'intercom' AND payload IS NOT NULL
        ORDER BY received_at DESC LIMIT 1
        """;

    public async Task<TicketLink?> GetAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(LinkSql);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadLinkAsync(reader, cancellationToken);
    }

    /// <summary>The conversation's ticket link, the ledger's part ids and the requester its newest webhook names, in one round trip.</summary>
    public async Task<AttemptRecords> ReadForAttemptAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var batch = Batch(conversationId, LinkSql, SyncedPartIdsSql, NewestWebhookSql);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var link = await ReadLinkAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var synced = await ReadPartIdsAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var hint = await reader.ReadAsync(cancellationToken) ? IntercomWebhookPayload.RequesterId(reader.GetFieldValue<byte[]>(0)) : null;
        return new AttemptRecords(link, synced, hint);
    }

    /// <summary>
    /// Whether Intercom ever announced the conversation's deletion: a <c>conversation.deleted</c> delivery recorded
    /// (weighed or not), or, once retention purged it, the mark an attempt left on the link.
    /// </summary>
    public async Task<bool> DeletionAnnouncedAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"""
            SELECT EXISTS (SELECT 1 FROM sync.inbox WHERE conversation_id = @conversation_id AND source = 'intercom'
                AND topic = '{VendorEvents.IntercomConversationDeletedTopic}')
                OR EXISTS (SELECT 1 FROM sync.tickets WHERE conversation_id = @conversation_id AND deleted_in_intercom_at IS NOT NULL)
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<string?> FindConversationAsync(long ticketId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT conversation_id FROM sync.tickets WHERE ticket_id = @ticket_id");
        command.Parameters.AddWithValue("ticket_id", ticketId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The newest Zendesk comment id the ledger holds for the ticket, and how many comments its import created.</summary>
    public async Task<(long? LastCommentId, int? ImportedComments)> LedgerWatermarkAsync(string conversationId, long ticketId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT (SELECT max(zendesk_comment_id) FROM sync.synced_parts WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id),
                   (SELECT imported_comments FROM sync.tickets WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id)
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        command.Parameters.AddWithValue("ticket_id", ticketId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt32(1));
    }

    public async Task<HashSet<string>> SyncedPartIdsAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(SyncedPartIdsSql);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadPartIdsAsync(reader, cancellationToken);
    }

    /// <summary>
    /// In one round trip: the statuses Ferry last saw in step on each side, the deliveries whose status
    /// claim no attempt has weighed (oldest first), and the last change Ferry applied in each direction.
    /// </summary>
    public async Task<StatusRecords> GetStatusRecordsAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var batch = Batch(
            conversationId,
            "SELECT intercom_state, zendesk_status FROM sync.tickets WHERE conversation_id = @conversation_id",
            """
            SELECT source, delivery_id, topic, payload, event_at FROM sync.inbox
            WHERE conversation_id = @conversation_id AND NOT status_checked
            ORDER BY received_at
            """,
            """
            SELECT DISTINCT ON (direction) direction, applied_status, applied_version
            FROM sync.status_changes WHERE conversation_id = @conversation_id
            ORDER BY direction, change_id DESC
            """);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var (intercomState, zendeskStatus) = await reader.ReadAsync(cancellationToken)
            ? (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1))
            : (null, null);

        await reader.NextResultAsync(cancellationToken);
        var deliveries = new List<UncheckedDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new UncheckedDelivery(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? [] : reader.GetFieldValue<byte[]>(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }

        await reader.NextResultAsync(cancellationToken);
        var changes = new Dictionary<string, LastStatusChange>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            changes[reader.GetString(0)] = new LastStatusChange(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2));
        }

        return new StatusRecords(intercomState, zendeskStatus, deliveries, changes);
    }

    /// <summary>Reads of one conversation sent together (one implicit transaction: one snapshot).</summary>
    private NpgsqlBatch Batch(string conversationId, params string[] queries)
    {
        var batch = db.CreateBatch();
        foreach (var sql in queries)
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue("conversation_id", conversationId);
            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    private static async Task<TicketLink?> ReadLinkAsync(NpgsqlDataReader reader, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken)
            ? new TicketLink(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetFieldValue<DateTimeOffset>(6))
            : null;

    private static async Task<HashSet<string>> ReadPartIdsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
