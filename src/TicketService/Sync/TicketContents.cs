using Ferry.TicketService.Data;
using Ferry.TicketService.Vendors.Zendesk;

namespace Ferry.TicketService.Sync;

/// <summary>
/// Finds which of the items Ferry is about to send an earlier attempt already put into the ticket (it
/// crashed, was stopped or lost Zendesk's answer before recording them), records those in the ledger,
/// and returns the rest.
/// </summary>
public sealed class TicketContents(ZendeskTicketsClient zendesk, SyncStore store)
{
    /// <summary>
    /// Only comments the ledger cannot account for are candidates: newer than the newest comment it
    /// knows (each append records its comment id from Zendesk's audit), or, before the first append,
    /// after the comments the ticket's creation made (its oldest). Ferry sends items in order and stops
    /// at the first failure, so what landed is a prefix of <paramref name="items"/>: candidates are
    /// matched in order by the part's text (a byline or a note about uncopied files may surround it).
    /// A ticket a crashed attempt imported (<paramref name="adopting"/>) is matched by each part's
    /// created_at as well, which the import keeps.
    /// </summary>
    public async Task<IReadOnlyList<ThreadItem>> WithoutItemsInTicketAsync(SyncAttempt attempt, SyncPlan plan, long ticketId, string? ticketStatus, IReadOnlyList<ThreadItem> items, bool adopting)
    {
        var cancellationToken = attempt.Cancellation;
        var (lastCommentId, createdComments) = await store.LedgerWatermarkAsync(attempt.ConversationId, ticketId, cancellationToken);
        var afterCreation = lastCommentId is null && createdComments is { } n && n < 100;
        var comments = await zendesk.CommentsAsync(ticketId, newest: !afterCreation, cancellationToken);
        var candidates = lastCommentId is { } last ? [.. comments.Where(c => c.Id > last)]
            : afterCreation ? [.. comments.Skip(createdComments!.Value)]
            : comments.ToList();
        var present = new List<ThreadItem>();
        var ids = new List<long>();
        var next = 0;
        foreach (var item in items.Where(i => !i.IsEvent))
        {
            var expected = TicketPlanner.PlainText(item.Body);
            var match = candidates.FindIndex(next, c =>
                TicketPlanner.PlainText(c.HtmlBody ?? c.Body).Contains(expected.Length == 0 ? "(empty message)" : expected, StringComparison.Ordinal)
                && (!adopting || c.CreatedAt?.ToUnixTimeSeconds() == item.CreatedAt.ToUnixTimeSeconds()));
            if (match < 0)
            {
                break;
            }

            present.Add(item);
            ids.Add(candidates[match].Id);
            next = match + 1;
        }

        if (present.Count > 0)
        {
            await attempt.RecordAsync(plan, ticketId, ticketStatus, present, ids);
        }

        return [.. items.Except(present)];
    }
}
