using Npgsql;
using NpgsqlTypes;

namespace Ferry.TicketService.Dual;

/// <summary>A comment an earlier attempt was carrying to Intercom when it stopped.</summary>
/// <param name="ReplyLanded">'linking': its reply is in Intercom (and the ledger); only its links note may be missing.</param>
/// <param name="LinksNote">The note listing the files its reply does not carry, if any.</param>
public sealed record PendingComment(bool ReplyLanded, string? LinksNote);

/// <summary>What the ledger knows of a ticket's comments, both directions.</summary>
/// <param name="Known">Comments Ferry wrote (from Intercom parts) or already weighed (carried or skipped).</param>
/// <param name="Pending">Comments an earlier attempt was carrying to Intercom when it stopped: their parts may have landed.</param>
/// <param name="ScannedUpTo">The newest comment id a scan accounted for (null: never scanned).</param>
/// <param name="ImportedComments">How many comments the ticket's creation made (its oldest; they are Ferry's).</param>
public sealed record CommentLedger(HashSet<long> Known, IReadOnlyDictionary<long, PendingComment> Pending, long? ScannedUpTo, int? ImportedComments);

/// <summary>Reads and fenced writes of sync.zendesk_comments and sync.zendesk_scans (migrations 0008, 0010).</summary>
public sealed class DualLedger(NpgsqlDataSource db)
{
    public async Task<CommentLedger> ReadAsync(string conversationId, long ticketId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT zendesk_comment_id, NULL, NULL FROM sync.synced_parts
              WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id AND zendesk_comment_id IS NOT NULL
            UNION ALL
            SELECT zendesk_comment_id, outcome, links_note FROM sync.zendesk_comments WHERE ticket_id = @ticket_id;
            SELECT (SELECT last_comment_id FROM sync.zendesk_scans WHERE ticket_id = @ticket_id),
                   (SELECT imported_comments FROM sync.tickets WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id);
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        command.Parameters.AddWithValue("ticket_id", ticketId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var known = new HashSet<long>();
        var pending = new Dictionary<long, PendingComment>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var outcome = reader.IsDBNull(1) ? null : reader.GetString(1);
            if (outcome is "sending" or "linking")
            {
                pending[reader.GetInt64(0)] = new PendingComment(outcome == "linking", reader.IsDBNull(2) ? null : reader.GetString(2));
            }
            else
            {
                known.Add(reader.GetInt64(0));
            }
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new CommentLedger(known, pending, reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt32(1));
    }

    /// <summary>
    /// Before the Intercom call: the comment is on its way (a retry looks for the part before sending again), and so
    /// is its links note, kept here so that a retry sends that same note.
    /// </summary>
    public static void Sending(AttemptTransaction tx, long ticketId, long commentId, string? linksNote) =>
        Upsert(tx, ticketId, commentId, "sending", null, null, linksNote);

    /// <summary>
    /// The comment became this Intercom part; the part goes into synced_parts, so it never comes back as a comment.
    /// With a links note still to send, the comment stays pending ('linking') until <see cref="Linked"/>.
    /// </summary>
    public static void Carried(AttemptTransaction tx, long ticketId, long commentId, bool note, IntercomPart part, string? linksNote)
    {
        Upsert(tx, ticketId, commentId, linksNote is not null ? "linking" : note ? "note" : "reply", part.Id, null, linksNote);
        tx.RecordParts(ticketId, [new LedgerPart(part.Id, note ? "zendesk-note" : "zendesk-reply", DateTimeOffset.FromUnixTimeSeconds(part.CreatedAt), commentId)]);
    }

    /// <summary>The public reply's links note is this Intercom part: the comment is carried whole.</summary>
    public static void Linked(AttemptTransaction tx, long ticketId, long commentId, IntercomPart part)
    {
        var update = tx.Command("""
            UPDATE sync.zendesk_comments SET outcome = 'reply', links_part_id = @part_id, recorded_at = now()
            WHERE ticket_id = @ticket_id AND zendesk_comment_id = @comment_id
            """);
        update.Parameters.AddWithValue("ticket_id", ticketId);
        update.Parameters.AddWithValue("comment_id", commentId);
        update.Parameters.AddWithValue("part_id", part.Id);
        tx.RecordParts(ticketId, [new LedgerPart(part.Id, "zendesk-links", DateTimeOffset.FromUnixTimeSeconds(part.CreatedAt), commentId)]);
    }

    public static void Skipped(AttemptTransaction tx, long ticketId, long commentId, string reason) =>
        Upsert(tx, ticketId, commentId, "skipped", null, reason, null);

    public static void Scanned(AttemptTransaction tx, long ticketId, long lastCommentId)
    {
        var scan = tx.Command("""
            INSERT INTO sync.zendesk_scans (ticket_id, conversation_id, last_comment_id) VALUES (@ticket_id, @conversation_id, @last)
            ON CONFLICT (ticket_id) DO UPDATE SET last_comment_id = GREATEST(sync.zendesk_scans.last_comment_id, EXCLUDED.last_comment_id)
            """);
        scan.Parameters.AddWithValue("ticket_id", ticketId);
        scan.Parameters.AddWithValue("last", lastCommentId);
    }

    private static void Upsert(AttemptTransaction tx, long ticketId, long commentId, string outcome, string? partId, string? reason, string? linksNote)
    {
        var upsert = tx.Command("""
            INSERT INTO sync.zendesk_comments (ticket_id, zendesk_comment_id, conversation_id, outcome, intercom_part_id, reason, links_note)
            VALUES (@ticket_id, @comment_id, @conversation_id, @outcome, @part_id, @reason, @links_note)
            ON CONFLICT (ticket_id, zendesk_comment_id) DO UPDATE SET outcome = EXCLUDED.outcome, intercom_part_id = EXCLUDED.intercom_part_id,
                reason = EXCLUDED.reason, links_note = EXCLUDED.links_note, recorded_at = now()
            """);
        upsert.Parameters.AddWithValue("ticket_id", ticketId);
        upsert.Parameters.AddWithValue("comment_id", commentId);
        upsert.Parameters.AddWithValue("outcome", outcome);
        upsert.Parameters.AddWithValue("part_id", NpgsqlDbType.Text, (object?)partId ?? DBNull.Value);
        upsert.Parameters.AddWithValue("reason", NpgsqlDbType.Text, (object?)reason ?? DBNull.Value);
        upsert.Parameters.AddWithValue("links_note", NpgsqlDbType.Text, (object?)linksNote ?? DBNull.Value);
    }
}
