namespace Ferry.TicketService.Sync;

/// <summary>
/// The ticket's comments the ledger cannot account for: newer than the newest comment it knows (each
/// append records its comment id from Zendesk's audit); before the first append, every comment after
/// those the ticket's creation made (its oldest); and every comment of a ticket Ferry adopts knowing
/// nothing of it. An earlier attempt's lost write is among them.
/// </summary>
public sealed class UnaccountedComments(ZendeskTicketsClient zendesk, SyncStore store)
{
    public async Task<IReadOnlyList<ZendeskComment>> ListAsync(string conversationId, long ticketId, CancellationToken cancellationToken)
    {
        var (lastCommentId, createdComments) = await store.LedgerWatermarkAsync(conversationId, ticketId, cancellationToken);
        var unaccounted = new List<ZendeskComment>();
        if (lastCommentId is { } last)
        {
            // From the newest back to the first comment the ledger knows (usually the first page).
            await foreach (var page in zendesk.CommentPagesAsync(ticketId, newest: true, cancellationToken))
            {
                unaccounted.AddRange(page.Where(c => c.Id > last));
                if (page.Count == 0 || page[0].Id <= last)
                {
                    break;
                }
            }

            return [.. unaccounted.OrderBy(c => c.Id)];
        }

        // A long ticket takes several pages: an import of 500 parts is 500 comments, and the parts it
        // holds must all be recognised, not just the last hundred.
        await foreach (var page in zendesk.CommentPagesAsync(ticketId, newest: false, cancellationToken))
        {
            unaccounted.AddRange(page);
        }

        return [.. unaccounted.OrderBy(c => c.Id).Skip(createdComments ?? 0)];
    }
}
