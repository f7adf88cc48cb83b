using Ferry.TicketService.Telemetry;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Sync;

/// <summary>The ticket an attempt writes to, as far as it knows it.</summary>
/// <param name="Seen">The ticket as Zendesk last answered during this attempt (null: not asked yet).</param>
public sealed record TicketState(long Id, string? Status, ZendeskTicket? Seen);

/// <summary>What <see cref="TicketTarget"/> found: the ticket, the items it still lacks, and whether this attempt created it.</summary>
public sealed record TargetTicket(TicketState Ticket, IReadOnlyList<ThreadItem> ToAppend, bool Created);

/// <summary>
/// Finds the conversation's ticket, or makes it: the linked ticket; else one a crashed attempt created
/// (found by external_id and adopted, keeping what it already holds); else a new one, imported with the
/// whole thread so every part keeps its author and time.
/// </summary>
public sealed partial class TicketTarget(
    ZendeskTicketsClient zendesk,
    CommentBuilder comments,
    TicketContents contents,
    IOptions<SyncOptions> options,
    TicketTelemetry telemetry,
    ILogger<TicketTarget> logger)
{
    /// <summary>Parts whose files are copied at the same time while an import is built.</summary>
    private const int ConcurrentCopies = 4;

    /// <param name="adoptable">Without a link: what <see cref="FindAdoptableAsync"/> found (looked up while the plan was made).</param>
    public async Task<TargetTicket> ResolveAsync(SyncAttempt attempt, SyncPlan plan, ZendeskTicket? adoptable)
    {
        if (plan.Link is { } link)
        {
            // An earlier attempt may have added a comment and stopped before its ledger row.
            var linked = new TicketState(link.TicketId, link.Status, null);
            var toAppend = attempt.Job.Attempt > 1 && plan.Fresh.Any(i => !i.IsEvent)
                ? await contents.WithoutItemsInTicketAsync(attempt, plan, linked, plan.Fresh, adopting: false)
                : plan.Fresh;
            return new TargetTicket(linked, toAppend, Created: false);
        }

        if (adoptable is { } adopted)
        {
            // The crashed attempt imported the thread it saw: keep what is already there.
            var found = new TicketState(adopted.Id, adopted.Status, adopted);
            var toAppend = await contents.WithoutItemsInTicketAsync(attempt, plan, found, plan.Fresh, adopting: true);
            return new TargetTicket(found, toAppend, Created: false);
        }

        attempt.BeforeVendorWrite();
        var (created, importedComments) = await ImportAsync(attempt, plan);
        await attempt.RecordAsync(plan, created.Id, created.Status, plan.Thread, importedComments: importedComments);
        LogCreated(logger, attempt.ConversationId, created.Id, plan.Thread.Count);
        return new TargetTicket(new TicketState(created.Id, created.Status, created), [], Created: true);
    }

    /// <summary>A ticket an earlier attempt created for the conversation (found by its external_id), the open one first.</summary>
    public async Task<ZendeskTicket?> FindAdoptableAsync(SyncAttempt attempt)
    {
        var found = await zendesk.FindByExternalIdAsync(TicketPlanner.ExternalId(attempt.ConversationId), attempt.Cancellation);
        return found.Where(t => t.Status != "closed").OrderByDescending(t => t.Id).FirstOrDefault()
            ?? found.OrderByDescending(t => t.Id).FirstOrDefault();
    }

    /// <returns>The ticket and how many comments the import created (they are the ticket's oldest).</returns>
    private async Task<(ZendeskTicket Ticket, int Comments)> ImportAsync(SyncAttempt attempt, SyncPlan plan)
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
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentCopies, CancellationToken = attempt.Cancellation },
            async (i, _) => built[i] = await comments.BuildAsync(attempt, plan, items[i]));
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
            TicketPlanner.Tags(conversation, options.Value),
            TicketPlanner.ExternalId(attempt.ConversationId),
            plan.Status,
            TicketPlanner.FromUnix(conversation.CreatedAt),
            plan.Status == "solved" ? TicketPlanner.FromUnix(conversation.UpdatedAt) : null,
            imported);
        attempt.BeforeVendorWrite();
        var ticket = await zendesk.ImportAsync(plan.Routing.Apply(import), $"ferry-import-{attempt.ConversationId}", attempt.Cancellation);
        telemetry.CommentsWritten.Add(imported.Count);
        return (ticket, imported.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} → new ticket {TicketId} ({Parts} parts)")]
    private static partial void LogCreated(ILogger logger, string conversationId, long ticketId, int parts);
}
