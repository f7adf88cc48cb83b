using Ferry.TicketService.Data;
using Ferry.TicketService.Vendors.Zendesk;

namespace Ferry.TicketService.Sync;

/// <summary>
/// The ticket's comments the ledger cannot account for: newer than the newest comment it knows (each
/// append records its comment id from Zendesk's audit), or, before the first append, after the
/// comments the import created (the ticket's oldest). An earlier attempt's lost write is among them.
/// </summary>
public sealed class UnaccountedComments(ZendeskTicketsClient zendesk, SyncStore store)
{
    public async Task<IReadOnlyList<ZendeskComment>> ListAsync(string conversationId, long ticketId, CancellationToken cancellationToken)
    {
        var (lastCommentId, importedComments) = await store.LedgerWatermarkAsync(conversationId, ticketId, cancellationToken);
        var afterImport = lastCommentId is null && importedComments is { } n && n < 100;
        var comments = await zendesk.CommentsAsync(ticketId, newest: !afterImport, cancellationToken);
        return lastCommentId is { } last ? [.. comments.Where(c => c.Id > last)]
            : afterImport ? [.. comments.Skip(importedComments!.Value)]
            : comments;
    }
}
