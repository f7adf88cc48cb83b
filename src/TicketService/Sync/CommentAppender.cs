using Ferry.TicketService.Telemetry;

namespace Ferry.TicketService.Sync;

/// <summary>
/// Appends the items a ticket lacks, one update per comment (Zendesk takes one comment per update),
/// each recorded in the ledger with its comment id as soon as Zendesk confirms it. A closed ticket is
/// final in Zendesk: the thread continues in a follow-up ticket linked to it (or in the follow-up an
/// interrupted attempt already created, found by external_id).
/// </summary>
public sealed partial class CommentAppender(
    ZendeskTicketsClient zendesk,
    CommentBuilder comments,
    TicketContents contents,
    TicketTelemetry telemetry,
    ILogger<CommentAppender> logger)
{
    /// <returns>The ticket as it now is, and how many comments this attempt wrote.</returns>
    public async Task<(TicketState Ticket, int Written)> AppendAsync(SyncAttempt attempt, SyncPlan plan, TicketState ticket, IReadOnlyList<ThreadItem> items)
    {
        var written = 0;
        var knownGap = plan.Link?.PartsGap ?? 0;
        if (plan.Gap > knownGap)
        {
            // More parts fell out of Intercom's 500-part window before Ferry saw them: say so, once per increase.
            attempt.BeforeVendorWrite(AttemptLog.IntercomToZendesk);
            var note = new NewComment(null, TicketPlanner.GapNote(plan.Gap - knownGap, plan.Total), Public: false, null);
            var answer = await zendesk.UpdateAsync(ticket.Id, new TicketUpdate(note), attempt.Cancellation);
            ticket = new TicketState(ticket.Id, answer.Ticket.Status, answer.Ticket);
            await attempt.RecordAsync(plan, ticket.Id, ticket.Status, []);
            if (answer.CommentId is { } noteId)
            {
                // Ferry's own note: dual mode must not carry it to Intercom as an agent's.
                await attempt.WriteAsync(tx => Dual.DualLedger.Skipped(tx, ticket.Id, noteId, "Ferry's note about unreachable parts"));
            }
            written++;
        }

        var pending = new Queue<ThreadItem>(items);
        while (pending.TryDequeue(out var item))
        {
            if (item.IsEvent)
            {
                await attempt.RecordAsync(plan, ticket.Id, ticket.Status, [item]);
                continue;
            }

            attempt.BeforeVendorWrite(AttemptLog.IntercomToZendesk);
            var (comment, _) = await comments.BuildAsync(attempt, plan, item, appendTo: ticket);
            if (await zendesk.AppendUnlessClosedAsync(ticket.Id, comment, attempt.Cancellation) is { } appended)
            {
                ticket = new TicketState(ticket.Id, appended.Ticket.Status, appended.Ticket);
                await attempt.RecordAsync(plan, ticket.Id, ticket.Status, [item], appended.CommentId is { } id ? [id] : null);
            }
            else if (await FindFollowUpAsync(attempt, ticket.Id) is { } existing)
            {
                // An interrupted attempt created the follow-up already: continue there, keeping what it holds.
                var closedId = ticket.Id;
                await attempt.WriteAsync(tx => tx.MoveToFollowUp(closedId, existing.Id, createdComments: 0));
                LogFollowUp(logger, attempt.ConversationId, closedId, existing.Id);
                ticket = new TicketState(existing.Id, existing.Status, existing);
                pending = new Queue<ThreadItem>(await contents.WithoutItemsInTicketAsync(attempt, plan, ticket, [item, .. pending], adopting: false));
                continue;
            }
            else
            {
                var followUp = await zendesk.CreateFollowUpAsync(
                    plan.Routing.Apply(new FollowUpTicket(ticket.Id, plan.Requester.UserId, TicketPlanner.Subject(plan.Conversation),
                        TicketPlanner.ExternalId(attempt.ConversationId), plan.Routing.Tags, comment), plan.Assignment.GroupId),
                    $"ferry-followup-{attempt.ConversationId}-{ticket.Id}",
                    attempt.Cancellation);
                await attempt.RecordFollowUpAsync(plan, ticket.Id, followUp, item);
                LogFollowUp(logger, attempt.ConversationId, ticket.Id, followUp.Id);
                ticket = new TicketState(followUp.Id, followUp.Status, followUp);
            }

            telemetry.CommentsWritten.Add(1);
            written++;
        }

        return (ticket, written);
    }

    /// <summary>A follow-up of the closed ticket that an earlier attempt created: newer, with the conversation's external_id, not closed.</summary>
    private async Task<ZendeskTicket?> FindFollowUpAsync(SyncAttempt attempt, long closedTicketId)
    {
        var found = await zendesk.FindByExternalIdAsync(TicketPlanner.ExternalId(attempt.ConversationId), attempt.Cancellation);
        return found.Where(t => t.Id > closedTicketId && t.Status != "closed").OrderByDescending(t => t.Id).FirstOrDefault();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId}: ticket {ClosedTicketId} is closed; continued in follow-up {FollowUpId}")]
    private static partial void LogFollowUp(ILogger logger, string conversationId, long closedTicketId, long followUpId);
}
