namespace Ferry.TicketService.Sync;

/// <summary>The ticket import for a conversation's whole thread: what a sync attempt and a backfill batch both send.</summary>
public static class TicketImports
{
    /// <summary>Parts whose files are copied at the same time while an import is built.</summary>
    private const int ConcurrentCopies = 4;

    /// <param name="build">The comment for a part, and the private note about its refused files (written right after it).</param>
    public static async Task<TicketImport> BuildAsync(
        string conversationId, SyncPlan plan, Func<ThreadItem, Task<(NewComment Comment, ThreadItem? Note)>> build, CancellationToken cancellationToken)
    {
        var conversation = plan.Conversation;
        var imported = new List<ImportComment>();
        if (plan.Gap > 0)
        {
            var first = plan.Thread.Count > 0 ? plan.Thread[0].CreatedAt : TicketPlanner.FromUnix(conversation.CreatedAt);
            imported.Add(new ImportComment(null, first, TicketPlanner.GapNote(plan.Gap, plan.Total), Public: false, null));
        }

        // Comments are built at once (authors are resolved already; copying files is the slow part), in thread order.
        var items = plan.Thread.Where(i => !i.IsEvent).ToList();
        var built = new (NewComment Comment, ThreadItem? Note)[items.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentCopies, CancellationToken = cancellationToken },
            async (i, _) => built[i] = await build(items[i]));
        foreach (var (item, (comment, note)) in items.Zip(built))
        {
            imported.Add(new ImportComment(comment.AuthorId, item.CreatedAt, comment.HtmlBody, comment.Public, comment.Uploads));
            if (note is not null)
            {
                // The import is one request: the note right after its part is written exactly when the part is.
                imported.Add(new ImportComment(null, item.CreatedAt, note.Body!, Public: false, null));
            }
        }

        var import = new TicketImport(
            plan.Requester.UserId,
            plan.Assignment.AssigneeId,
            plan.Assignment.GroupId,
            TicketPlanner.Subject(conversation),
            plan.Routing.Tags,
            TicketPlanner.ExternalId(conversationId),
            plan.Status,
            TicketPlanner.FromUnix(conversation.CreatedAt),
            plan.Status is "solved" or "closed" ? TicketPlanner.FromUnix(conversation.UpdatedAt) : null,
            imported);
        return plan.Routing.Apply(import);
    }
}
