namespace Ferry.TicketService.Sync;

/// <summary>
/// Appends the private note about a public part's refused attachments exactly once, before the part's
/// comment (while the part is still unsynced, so a failure after the note cannot lose it). The ledger
/// holds it under <see cref="AttachmentNotes.NotePartId"/>; a note whose answer was lost is recognised
/// in the ticket by its exact text.
/// </summary>
public sealed partial class AttachmentNoteWriter(ZendeskTicketsClient zendesk, SyncStore store, UnaccountedComments unaccounted, ILogger<AttachmentNoteWriter> logger)
{
    public async Task WriteOnceAsync(SyncAttempt attempt, SyncPlan plan, TicketState ticket, ThreadItem note)
    {
        var job = attempt.Job;
        var ticketId = ticket.Id;
        var cancellationToken = attempt.Cancellation;
        Task RecordAsSynced(IReadOnlyList<long> ids) => attempt.RecordAsync(plan, ticketId, ticket.Status, [note], ids);
        if ((await store.SyncedPartIdsAsync(job.ConversationId, cancellationToken)).Contains(note.PartId))
        {
            return;
        }

        if (job.Attempt > 1)
        {
            var candidates = await unaccounted.ListAsync(job.ConversationId, ticketId, cancellationToken);
            // Ferry's API user writes the note; its id is unknown here, the exact text is enough.
            var found = CommentRecognition.Recognise([new ExpectedComment(note, null, note.Body!)], candidates, adopting: false);
            if (found.Count == 1)
            {
                await RecordAsSynced(found);
                return;
            }
        }

        attempt.BeforeVendorWrite(AttemptLog.IntercomToZendesk);
        var updated = await zendesk.AppendUnlessClosedAsync(ticketId, new NewComment(null, note.Body!, Public: false, null), cancellationToken);
        if (updated is null)
        {
            // Closed is final: the part itself moves on to a follow-up ticket, without the note.
            LogClosed(logger, job.ConversationId, ticketId, note.PartId);
            return;
        }

        await RecordAsSynced(updated.CommentId is { } id ? [id] : []);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {ConversationId}: ticket {TicketId} is closed, so the note {NoteId} about attachments Ferry could not copy was not added")]
    private static partial void LogClosed(ILogger logger, string conversationId, long ticketId, string noteId);
}
