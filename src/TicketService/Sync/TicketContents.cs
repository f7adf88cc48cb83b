namespace Ferry.TicketService.Sync;

/// <summary>
/// Finds which of the items Ferry is about to send an earlier attempt already put into the ticket (it
/// crashed, was stopped or lost Zendesk's answer before recording them), records those in the ledger,
/// and returns the rest.
/// </summary>
public sealed class TicketContents(UnaccountedComments unaccounted, CommentBuilder comments)
{
    /// <summary>
    /// Only comments the ledger cannot account for are candidates (<see cref="UnaccountedComments"/>),
    /// recognised by author and exact text (<see cref="CommentRecognition"/>). A ticket a crashed attempt
    /// imported (<paramref name="adopting"/>) is matched by each part's created_at as well, which the import keeps.
    /// </summary>
    public async Task<IReadOnlyList<ThreadItem>> WithoutItemsInTicketAsync(SyncAttempt attempt, SyncPlan plan, TicketState ticket, IReadOnlyList<ThreadItem> items, bool adopting)
    {
        var candidates = await unaccounted.ListAsync(attempt.ConversationId, ticket.Id, attempt.Cancellation);
        var expected = new List<ExpectedComment>();
        foreach (var item in items.Where(i => !i.IsEvent))
        {
            expected.Add(await comments.ExpectedAsync(attempt, plan, item));
        }

        var ids = CommentRecognition.Recognise(expected, candidates, adopting);
        var present = expected.Take(ids.Count).Select(e => e.Item).ToList();
        if (present.Count > 0)
        {
            await attempt.RecordAsync(plan, ticket.Id, ticket.Status, present, ids);
        }

        return [.. items.Except(present)];
    }
}
