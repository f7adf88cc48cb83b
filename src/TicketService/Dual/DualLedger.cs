using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Dual;

/// <summary>What the ledger knows of a ticket's comments, both directions.</summary>
/// <param name="Known">Comments Ferry wrote (from Intercom parts) or already weighed (carried or skipped).</param>
/// <param name="Sending">Comments an earlier attempt was sending to Intercom when it stopped: the reply may have landed.</param>
/// <param name="ScannedUpTo">The newest comment id a scan accounted for (null: never scanned).</param>
/// <param name="ImportedComments">How many comments the ticket's creation made (its oldest; they are Ferry's).</param>
public sealed record CommentLedger(HashSet<long> Known, IReadOnlyList<long> Sending, long? ScannedUpTo, int? ImportedComments);

/// <summary>Reads and fenced writes of sync.zendesk_comments and sync.zendesk_scans (migration 0008).</summary>
public sealed class DualLedger(NpgsqlDataSource db)
{
    public async Task<CommentLedger> ReadAsync(string conversationId, long ticketId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT zendesk_comment_id, false FROM sync.synced_parts
              WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id AND zendesk_comment_id IS NOT NULL
            UNION ALL
            SELECT zendesk_comment_id, outcome = 'sending' FROM sync.zendesk_comments WHERE ticket_id = @ticket_id;
            SELECT (SELECT last_comment_id FROM sync.zendesk_scans WHERE ticket_id = @ticket_id),
                   (SELECT imported_comments FROM sync.tickets WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id);
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        command.Parameters.AddWithValue("ticket_id", ticketId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var known = new HashSet<long>();
        var sending = new List<long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            (reader.GetBoolean(1) ? sending : (ICollection<long>)known).Add(reader.GetInt64(0));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new CommentLedger(known, sending, reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt32(1));
    }

    /// <summary>Before the Intercom call: the comment is on its way (a retry looks for the part before sending again).</summary>
    public static void Sending(AttemptTransaction tx, long ticketId, long commentId) =>
        Upsert(tx, ticketId, commentId, "sending", null, null);

    /// <summary>The comment became this Intercom part; the part goes into synced_parts, so it never comes back as a comment.</summary>
    public static void Carried(AttemptTransaction tx, long ticketId, long commentId, bool note, IntercomPart part)
    {
        Upsert(tx, ticketId, commentId, note ? "note" : "reply", part.Id, null);
        tx.RecordParts(ticketId, [new LedgerPart(part.Id, note ? "zendesk-note" : "zendesk-reply", DateTimeOffset.FromUnixTimeSeconds(part.CreatedAt), commentId)]);
    }

    public static void Skipped(AttemptTransaction tx, long ticketId, long commentId, string reason) =>
        Upsert(tx, ticketId, commentId, "skipped", null, reason);

    public static void Scanned(AttemptTransaction tx, long ticketId, long lastCommentId)
    {
        var scan = tx.Command("""
            INSERT INTO sync.zendesk_scans (ticket_id, conversation_id, last_comment_id) VALUES (@ticket_id, @conversation_id, @last)
            ON CONFLICT (ticket_id) DO UPDATE SET last_comment_id = GREATEST(sync.zendesk_scans.last_comment_id, EXCLUDED.last_comment_id)
            """);
        scan.Parameters.AddWithValue("ticket_id", ticketId);
        scan.Parameters.AddWithValue("last", lastCommentId);
    }

    private static void Upsert(AttemptTransaction tx, long ticketId, long commentId, string outcome, string? partId, string? reason)
    {
        var upsert = tx.Command("""
            INSERT INTO sync.zendesk_comments (ticket_id, zendesk_comment_id, conversation_id, outcome, intercom_part_id, reason)
            VALUES (@ticket_id, @comment_id, @conversation_id, @outcome, @part_id, @reason)
            ON CONFLICT (ticket_id, zendesk_comment_id) DO UPDATE SET outcome = EXCLUDED.outcome, intercom_part_id = EXCLUDED.intercom_part_id,
                reason = EXCLUDED.reason, recorded_at = now()
            """);
        upsert.Parameters.AddWithValue("ticket_id", ticketId);
        upsert.Parameters.AddWithValue("comment_id", commentId);
        upsert.Parameters.AddWithValue("outcome", outcome);
        upsert.Parameters.AddWithValue("part_id", NpgsqlDbType.Text, (object?)partId ?? DBNull.Value);
        upsert.Parameters.AddWithValue("reason", NpgsqlDbType.Text, (object?)reason ?? DBNull.Value);
    }
}
