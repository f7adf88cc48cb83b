using System.Diagnostics;
using System.Net;
using Ferry.TicketService.Attempts;
using Ferry.TicketService.Queue;
using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Rules;
using Ferry.TicketService.Telemetry;
using Ferry.TicketService.Vendors;
using Ferry.TicketService.Vendors.Intercom;
using Ferry.TicketService.Vendors.Zendesk;
using Ferry.V1;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ferry.TicketService.Sync;

/// <summary>What one attempt achieved, for the attempt log.</summary>
/// <param name="Direction">Which way the attempt's change went (a status change from Zendesk makes it zendesk->intercom).</param>
/// <param name="Origin">Where that change came from; "ferry" when the attempt only dropped echoes of Ferry's own change.</param>
public sealed record SyncResult(
    AttemptOutcome Outcome, long? TicketId, string Reason, string? Status, int PartsTotal, int Gap,
    string Direction = AttemptLog.IntercomToZendesk, string Origin = StatusOrigin.Intercom);

/// <summary>
/// Brings one conversation's ticket up to date. Idempotent by construction: the ledger says which
/// parts are in the ticket; a ticket a crashed attempt created is found by external_id and adopted;
/// a comment a crashed attempt added is recognised in the ticket before it is sent again.
/// </summary>
public sealed partial class ConversationSync(
    IntercomClient intercom,
    ZendeskTicketsClient zendesk,
    Identity.IdentityClient identity,
    Attachments.AttachmentsClient attachments,
    TicketLinks links,
    StatusSync statusSync,
    NpgsqlDataSource db,
    IOptions<SyncOptions> options,
    TicketTelemetry telemetry,
    RuleEngine rules,
    UnaccountedComments unaccounted,
    AttachmentNoteWriter attachmentNotes,
    ILogger<ConversationSync> logger)
{
    public async Task<SyncResult> SyncAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var conversation = await intercom.GetConversationAsync(job.ConversationId, cancellationToken);
        if (conversation is null)
        {
            // Deleted in Intercom (or never existed): the ticket, if any, keeps its history.
            var known = await links.GetAsync(job.ConversationId, cancellationToken);
            return new SyncResult(AttemptOutcome.Skipped, known?.TicketId, "Conversation not found in Intercom (deleted?); ticket left as it is.", known?.Status, 0, 0);
        }

        // Rules: a conversation they keep out gets no ticket; one that already has a ticket keeps syncing.
        var routing = rules.Evaluate(conversation);
        if (routing.Skip && await links.GetAsync(job.ConversationId, cancellationToken) is null)
        {
            return rules.Skipped(job.ConversationId, routing);
        }

        var settings = options.Value;
        var authors = new AuthorDirectory(intercom, identity);
        var requesterContactId = conversation.Contacts?.Contacts is [var first, ..] ? first.Id : null;
        if (requesterContactId is null)
        {
            return new SyncResult(AttemptOutcome.Skipped, null, "Conversation has no contact to be the ticket's requester.", null, 0, 0);
        }

        var requesterId = await authors.ResolveContactAsync(requesterContactId, cancellationToken);
        var thread = TicketPlanner.Thread(conversation);
        var total = (conversation.ConversationParts?.TotalCount ?? 0) + (conversation.Source is null ? 0 : 1);
        var status = TicketPlanner.Status(conversation, settings);
        var (assigneeId, groupId) = await authors.ResolveAssigneeAsync(conversation.AdminAssigneeId, cancellationToken);
        (assigneeId, groupId) = routing.Assign(assigneeId, groupId);

        var link = await links.GetAsync(job.ConversationId, cancellationToken);
        var synced = await links.SyncedPartIdsAsync(job.ConversationId, cancellationToken);
        var gap = TicketPlanner.Missing(conversation, synced);
        var fresh = thread.Where(i => !synced.Contains(i.PartId)).ToList();
        Activity.Current?.SetTag("ferry.parts.new", fresh.Count);

        long ticketId;
        string? ticketStatus = link?.Status;
        ZendeskTicket? seen = null; // the ticket as Zendesk last answered during this attempt
        if (link is null)
        {
            var adopted = await AdoptAsync(job.ConversationId, cancellationToken);
            if (adopted is null)
            {
                var (created, importedComments) = await ImportAsync(job, conversation, thread, requesterId, requesterContactId, assigneeId, groupId, status, gap, authors, routing, cancellationToken);
                await RecordLedgerAsync(job, created.Id, created.Status, total, gap, thread, cancellationToken, importedComments: importedComments);
                LogCreated(logger, job.ConversationId, created.Id, thread.Count);
                var initial = await statusSync.ReconcileAsync(job, conversation, created, created.Id, assigneeId, groupId, cancellationToken);
                return Result(Describe("Created ticket", thread.Count(i => !i.IsEvent), gap), written: 1, initial, total, gap);
            }

            seen = adopted;
            ticketId = adopted.Id;
            ticketStatus = adopted.Status;
            // The crashed attempt imported the thread it saw: keep what is already there.
            fresh = await WithoutItemsInTicketAsync(job, ticketId, fresh, adopting: true, item => ExpectedAsync(item, requesterId, requesterContactId, authors, cancellationToken), (items, ids) => RecordLedgerAsync(job, ticketId, ticketStatus, total, gap, items, cancellationToken, ids), cancellationToken);
        }
        else
        {
            ticketId = link.TicketId;
            if (job.Attempt > 1 && fresh.Any(i => !i.IsEvent))
            {
                // An earlier attempt may have added a comment and crashed before its ledger row.
                fresh = await WithoutItemsInTicketAsync(job, ticketId, fresh, adopting: false, item => ExpectedAsync(item, requesterId, requesterContactId, authors, cancellationToken), (items, ids) => RecordLedgerAsync(job, ticketId, ticketStatus, total, gap, items, cancellationToken, ids), cancellationToken);
            }
        }

        Activity.Current?.SetTag("ferry.ticket_id", ticketId);
        var written = 0;
        if (gap > (link?.PartsGap ?? 0))
        {
            // More parts fell out of Intercom's 500-part window before Ferry saw them: say so, once per increase.
            var note = new NewComment(null, TicketPlanner.GapNote(gap - (link?.PartsGap ?? 0), total), Public: false, null);
            seen = (await zendesk.UpdateAsync(ticketId, new TicketUpdate(note, null, null, null), cancellationToken)).Ticket;
            ticketStatus = seen.Status;
            await RecordLedgerAsync(job, ticketId, ticketStatus, total, gap, [], cancellationToken);
            written++;
        }

        foreach (var item in fresh)
        {
            if (item.IsEvent)
            {
                await RecordLedgerAsync(job, ticketId, ticketStatus, total, gap, [item], cancellationToken);
                continue;
            }

            var comment = (await CommentAsync(job, item, requesterId, requesterContactId, authors, cancellationToken,
                (ticketId, (items, ids) => RecordLedgerAsync(job, ticketId, ticketStatus, total, gap, items, cancellationToken, ids)))).Comment;
            var closed = false;
            long? commentId = null;
            try
            {
                var updated = await zendesk.UpdateAsync(ticketId, new TicketUpdate(comment, null, null, null), cancellationToken);
                (seen, commentId) = (updated.Ticket, updated.CommentId);
                ticketStatus = seen.Status;
            }
            catch (VendorException error) when (error.Status == HttpStatusCode.UnprocessableEntity)
            {
                closed = await IsClosedAsync(ticketId, cancellationToken);
                if (!closed)
                {
                    throw;
                }
            }

            if (closed)
            {
                // Closed is final in Zendesk: continue the thread in a follow-up ticket linked to it.
                var followUp = await zendesk.CreateFollowUpAsync(
                    routing.Apply(new FollowUpTicket(ticketId, requesterId, TicketPlanner.Subject(conversation), TicketPlanner.ExternalId(job.ConversationId), TicketPlanner.Tags(conversation, settings), comment), groupId),
                    $"ferry-followup-{job.ConversationId}-{ticketId}",
                    cancellationToken);
                await MoveToFollowUpAsync(job, ticketId, followUp.Id, cancellationToken);
                LogFollowUp(logger, job.ConversationId, ticketId, followUp.Id);
                ticketId = followUp.Id;
                seen = followUp;
                ticketStatus = followUp.Status;
            }

            telemetry.CommentsWritten.Add(1);
            written++;
            await RecordLedgerAsync(job, ticketId, ticketStatus, total, gap, [item], cancellationToken, commentId is { } id ? [id] : null);
        }

        // Status both ways (with assignee and group when the ticket's status follows the conversation).
        var statusOutcome = await statusSync.ReconcileAsync(job, conversation, seen, ticketId, assigneeId, groupId, cancellationToken);
        return Result(written == 0 ? "Up to date" : Describe("Appended", written, gap), written, statusOutcome, total, gap);
    }

    /// <summary>One attempt's outcome: comments written and the status round-trip's decision.</summary>
    private static SyncResult Result(string comments, int written, StatusOutcome status, int total, int gap)
    {
        var ticket = status.Ticket;
        var zendeskChange = status.Decision.Origin == StatusOrigin.Zendesk;
        if (status.Applied || (zendeskChange && written > 0))
        {
            var reason = written == 0 ? status.Decision.Reason : $"{comments}; {status.Decision.Reason}";
            return new SyncResult(AttemptOutcome.Success, ticket.Id, reason, ticket.Status, total, gap, status.Direction, status.Decision.Origin);
        }

        if (written > 0)
        {
            return new SyncResult(AttemptOutcome.Success, ticket.Id, comments, ticket.Status, total, gap);
        }

        if (zendeskChange)
        {
            // A Zendesk change the policy does not carry over (e.g. a reopen with the setting off).
            return new SyncResult(AttemptOutcome.Skipped, ticket.Id, status.Decision.Reason, ticket.Status, total, gap, AttemptLog.ZendeskToIntercom, StatusOrigin.Zendesk);
        }

        return status.Echoes > 0
            ? new SyncResult(AttemptOutcome.Skipped, ticket.Id, $"Echo of Ferry's own status change dropped ({status.Echoes} webhook(s), no writes)", ticket.Status, total, gap, status.EchoDirection!, StatusOrigin.Ferry)
            : new SyncResult(AttemptOutcome.Success, ticket.Id, comments, ticket.Status, total, gap);
    }

    private static string Describe(string verb, int comments, int gap) =>
        gap == 0 ? $"{verb} {comments} comment(s)" : $"{verb} {comments} comment(s); {gap} oldest part(s) unreachable (Intercom returns the 500 most recent), noted on the ticket";

    private async Task<ZendeskTicket?> AdoptAsync(string conversationId, CancellationToken cancellationToken)
    {
        var found = await zendesk.FindByExternalIdAsync(TicketPlanner.ExternalId(conversationId), cancellationToken);
        return found.Where(t => t.Status != "closed").OrderByDescending(t => t.Id).FirstOrDefault()
            ?? found.OrderByDescending(t => t.Id).FirstOrDefault();
    }

    /// <returns>The ticket and how many comments the import created (they are the ticket's oldest).</returns>
    private async Task<(ZendeskTicket Ticket, int Comments)> ImportAsync(
        ClaimedJob job, IntercomConversation conversation, IReadOnlyList<ThreadItem> thread, long requesterId, string requesterContactId,
        long? assigneeId, long? groupId, string status, int gap, AuthorDirectory authors, RoutingDecision routing, CancellationToken cancellationToken)
    {
        var comments = new List<ImportComment>();
        if (gap > 0)
        {
            var first = thread.Count > 0 ? thread[0].CreatedAt : TicketPlanner.FromUnix(conversation.CreatedAt);
            comments.Add(new ImportComment(null, first, TicketPlanner.GapNote(gap, (conversation.ConversationParts?.TotalCount ?? 0) + 1), Public: false, null));
        }

        foreach (var item in thread.Where(i => !i.IsEvent))
        {
            var (comment, note) = await CommentAsync(job, item, requesterId, requesterContactId, authors, cancellationToken);
            comments.Add(new ImportComment(comment.AuthorId, item.CreatedAt, comment.HtmlBody, comment.Public, comment.Uploads));
            if (note is not null)
            {
                // The import is one request: the note right after its part is written exactly when the part is.
                comments.Add(new ImportComment(null, item.CreatedAt, note.Body!, Public: false, null));
            }
        }

        var settings = options.Value;
        var import = new TicketImport(
            requesterId,
            assigneeId,
            groupId,
            TicketPlanner.Subject(conversation),
            TicketPlanner.Tags(conversation, settings),
            TicketPlanner.ExternalId(job.ConversationId),
            status,
            TicketPlanner.FromUnix(conversation.CreatedAt),
            status == "solved" ? TicketPlanner.FromUnix(conversation.UpdatedAt) : null,
            comments);
        var ticket = await zendesk.ImportAsync(routing.Apply(import), $"ferry-import-{job.ConversationId}", cancellationToken);
        telemetry.CommentsWritten.Add(comments.Count);
        return (ticket, comments.Count);
    }

    /// <summary>The comment Ferry writes for <paramref name="item"/>, before attachments: what recognition compares.</summary>
    private static async Task<ExpectedComment> ExpectedAsync(ThreadItem item, long requesterId, string requesterContactId, AuthorDirectory authors, CancellationToken cancellationToken)
    {
        var author = await authors.ResolveAsync(item.Author, requesterId, requesterContactId, cancellationToken);
        return new ExpectedComment(item, author.UserId, TicketPlanner.CommentHtml(item, author.Byline));
    }

    /// <summary>
    /// The part's comment with its copied files. A file that may still be copied holds the part back
    /// (<see cref="AttachmentsNotCopiedException"/>); refused files are named in a private note: inside a
    /// private part's own comment, else a separate note, which an append (<paramref name="appendTo"/>)
    /// writes here, before the comment, and an import adds right after it.
    /// </summary>
    private async Task<(NewComment Comment, ThreadItem? Note)> CommentAsync(
        ClaimedJob job, ThreadItem item, long requesterId, string requesterContactId, AuthorDirectory authors, CancellationToken cancellationToken,
        (long TicketId, Func<IReadOnlyList<ThreadItem>, IReadOnlyList<long>, Task> Record)? appendTo = null)
    {
        var expected = await ExpectedAsync(item, requesterId, requesterContactId, authors, cancellationToken);
        if (item.Attachments.Count == 0)
        {
            return (new NewComment(expected.AuthorId, expected.Html, Public: !item.IsPrivate, null), null);
        }

        var request = new CopyRequest { ConversationId = job.ConversationId, PartId = item.PartId };
        request.Attachments.AddRange(item.Attachments.Select(a => new SourceAttachment { Url = a.Url, Name = a.Name, ContentType = a.ContentType ?? "", Size = a.Filesize ?? 0 }));
        var copy = await attachments.CopyAsync(request, cancellationToken: cancellationToken);
        var refused = AttachmentNotes.Refused(job.ConversationId, item.PartId, copy.Files);
        IReadOnlyList<string>? uploads = string.IsNullOrEmpty(copy.UploadToken) ? null : [copy.UploadToken];
        if (refused.Count == 0 || item.IsPrivate)
        {
            var html = refused.Count == 0 ? expected.Html : expected.Html + AttachmentNotes.Folded(refused);
            return (new NewComment(expected.AuthorId, html, Public: !item.IsPrivate, uploads), null);
        }

        var note = AttachmentNotes.Note(item, refused);
        if (appendTo is var (ticketId, record))
        {
            await attachmentNotes.WriteOnceAsync(job, ticketId, note, record, cancellationToken);
        }

        return (new NewComment(expected.AuthorId, expected.Html, Public: true, uploads), note);
    }

    /// <summary>
    /// Drops the items a previous attempt already put into the ticket and records them in the ledger.
    /// Only comments the ledger cannot account for are candidates (<see cref="UnaccountedComments"/>),
    /// recognised by author and exact text (<see cref="CommentRecognition"/>). A ticket a crashed attempt
    /// imported (<paramref name="adopting"/>) is matched by each part's created_at as well, which the import keeps.
    /// </summary>
    private async Task<List<ThreadItem>> WithoutItemsInTicketAsync(
        ClaimedJob job, long ticketId, List<ThreadItem> items, bool adopting, Func<ThreadItem, Task<ExpectedComment>> expect,
        Func<IReadOnlyList<ThreadItem>, IReadOnlyList<long>, Task> recordAsSynced, CancellationToken cancellationToken)
    {
        var candidates = await unaccounted.ListAsync(job.ConversationId, ticketId, cancellationToken);
        var expected = new List<ExpectedComment>();
        foreach (var item in items.Where(i => !i.IsEvent))
        {
            expected.Add(await expect(item));
        }

        var ids = CommentRecognition.Recognise(expected, candidates, adopting);
        var present = expected.Take(ids.Count).Select(e => e.Item).ToList();
        if (present.Count > 0)
        {
            await recordAsSynced(present, ids);
        }

        return [.. items.Except(present)];
    }

    private async Task<bool> IsClosedAsync(long ticketId, CancellationToken cancellationToken) =>
        (await zendesk.GetAsync(ticketId, cancellationToken))?.Status == "closed";

    /// <summary>Ticket link and ledger rows, fenced by the job's attempt number.</summary>
    /// <param name="commentIds">The Zendesk comment each item became (from an update's audit, or recognised in the ticket).</param>
    /// <param name="importedComments">How many comments the import that created the ticket made.</param>
    private async Task RecordLedgerAsync(
        ClaimedJob job, long ticketId, string? status, int total, int gap, IReadOnlyList<ThreadItem> items, CancellationToken cancellationToken,
        IReadOnlyList<long>? commentIds = null, int? importedComments = null)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await JobQueue.EnsureOwnedAsync(connection, tx, job, cancellationToken);

        await using (var upsert = new NpgsqlCommand("""
            INSERT INTO sync.tickets (conversation_id, ticket_id, status, parts_total, parts_gap, imported_comments)
            VALUES (@conversation_id, @ticket_id, @status, @total, @gap, @imported_comments)
            ON CONFLICT (conversation_id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, status = COALESCE(EXCLUDED.status, sync.tickets.status),
                imported_comments = COALESCE(EXCLUDED.imported_comments, sync.tickets.imported_comments),
                parts_total = EXCLUDED.parts_total, parts_gap = EXCLUDED.parts_gap, last_synced_at = now()
            """, connection, tx))
        {
            upsert.Parameters.AddWithValue("conversation_id", job.ConversationId);
            upsert.Parameters.AddWithValue("ticket_id", ticketId);
            upsert.Parameters.AddWithValue("status", NpgsqlTypes.NpgsqlDbType.Text, (object?)status ?? DBNull.Value);
            upsert.Parameters.AddWithValue("total", total);
            upsert.Parameters.AddWithValue("gap", gap);
            upsert.Parameters.AddWithValue("imported_comments", NpgsqlTypes.NpgsqlDbType.Integer, (object?)importedComments ?? DBNull.Value);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var ledger = new NpgsqlCommand("""
            INSERT INTO sync.synced_parts (conversation_id, part_id, ticket_id, kind, part_created_at, zendesk_comment_id)
            SELECT @conversation_id, part_id, @ticket_id, kind, created_at, comment_id
            FROM unnest(@part_ids, @kinds, @created_ats, @comment_ids) AS p(part_id, kind, created_at, comment_id)
            ON CONFLICT DO NOTHING
            """, connection, tx))
        {
            ledger.Parameters.AddWithValue("conversation_id", job.ConversationId);
            ledger.Parameters.AddWithValue("ticket_id", ticketId);
            ledger.Parameters.AddWithValue("part_ids", items.Select(i => i.PartId).ToArray());
            ledger.Parameters.AddWithValue("kinds", items.Select(i => i.IsEvent ? "event" : i.IsPrivate ? "note" : "comment").ToArray());
            ledger.Parameters.AddWithValue("created_ats", items.Select(i => i.CreatedAt).ToArray());
            ledger.Parameters.AddWithValue("comment_ids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint,
                items.Select((_, i) => commentIds is not null && i < commentIds.Count ? (long?)commentIds[i] : null).ToArray());
            await ledger.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    private async Task MoveToFollowUpAsync(ClaimedJob job, long closedTicketId, long followUpId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await JobQueue.EnsureOwnedAsync(connection, tx, job, cancellationToken);
        // The follow-up starts a new status history, and its creation made one comment (the reply).
        await using var move = new NpgsqlCommand("""
            UPDATE sync.tickets SET ticket_id = @follow_up, status = NULL, zendesk_status = NULL, imported_comments = 1
            WHERE conversation_id = @conversation_id AND ticket_id = @closed
            """, connection, tx);
        move.Parameters.AddWithValue("follow_up", followUpId);
        move.Parameters.AddWithValue("conversation_id", job.ConversationId);
        move.Parameters.AddWithValue("closed", closedTicketId);
        await move.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} → new ticket {TicketId} ({Parts} parts)")]
    private static partial void LogCreated(ILogger logger, string conversationId, long ticketId, int parts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId}: ticket {ClosedTicketId} is closed; continued in follow-up {FollowUpId}")]
    private static partial void LogFollowUp(ILogger logger, string conversationId, long closedTicketId, long followUpId);
}
