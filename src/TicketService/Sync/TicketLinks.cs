using Npgsql;

namespace Ferry.TicketService.Sync;

public sealed record TicketLink(string ConversationId, long TicketId, string? Status, int PartsTotal, int PartsGap, int SyncedParts, DateTimeOffset LastSyncedAt);

/// <summary>sync.tickets (conversation ↔ ticket) and the sync.synced_parts ledger.</summary>
public sealed class TicketLinks(NpgsqlDataSource db)
{
    public async Task<TicketLink?> GetAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT t.conversation_id, t.ticket_id, t.status, t.parts_total, t.parts_gap,
                   (SELECT count(*) FROM sync.synced_parts p WHERE p.conversation_id = t.conversation_id)::int,
                   t.last_synced_at
            FROM sync.tickets t WHERE t.conversation_id = @conversation_id
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new TicketLink(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetFieldValue<DateTimeOffset>(6));
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
        await using var command = db.CreateCommand("SELECT part_id FROM sync.synced_parts WHERE conversation_id = @conversation_id");
        command.Parameters.AddWithValue("conversation_id", conversationId);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
