using Ferry.TicketService.Migration;
using Ferry.TicketService.Telemetry;

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
    PendingBulkImports bulkImports,
    TicketTelemetry telemetry,
    ILogger<TicketTarget> logger)
{
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

        if (adoptable is null && await bulkImports.SettleAsync(attempt.ConversationId, attempt.Cancellation))
        {
            adoptable = await FindAdoptableAsync(attempt);
        }

        if (adoptable is { } adopted)
        {
            // A crashed attempt (or a bulk import) made the ticket: keep what is already there.
            var found = new TicketState(adopted.Id, adopted.Status, adopted);
            var toAppend = await contents.WithoutItemsInTicketAsync(attempt, plan, found, plan.Fresh, adopting: true);
            return new TargetTicket(found, toAppend, Created: false);
        }

        attempt.BeforeVendorWrite(AttemptLog.IntercomToZendesk);
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
        var import = await TicketImports.BuildAsync(attempt.ConversationId, plan, item => comments.BuildAsync(attempt, plan, item), attempt.Cancellation);
        attempt.BeforeVendorWrite(AttemptLog.IntercomToZendesk);
        var ticket = await zendesk.ImportAsync(import, $"ferry-import-{attempt.ConversationId}", attempt.Cancellation);
        telemetry.CommentsWritten.Add(import.Comments.Count);
        return (ticket, import.Comments.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} → new ticket {TicketId} ({Parts} parts)")]
    private static partial void LogCreated(ILogger logger, string conversationId, long ticketId, int parts);
}
