using Ferry.TicketService.Queue;
using Npgsql;

namespace Ferry.TicketService.Sync;

/// <summary>
/// One sync attempt as the sync steps see it: the job, its cancellation, the stop check before each
/// vendor write, and the fenced writes that record what reached Zendesk (whether any did is the
/// attempt's progress: a failure after progress does not count towards the retry window).
/// </summary>
public sealed class SyncAttempt(JobAttempt attempt, NpgsqlDataSource db)
{
    public ClaimedJob Job => attempt.Job;

    public string ConversationId => attempt.Job.ConversationId;

    /// <summary>Vendor calls use this: it fires when the lease is lost or the drain timeout has passed.</summary>
    public CancellationToken Cancellation => attempt.Cancellation;

    public bool Progressed { get; private set; }

    /// <summary>
    /// Which way the last write begun went (<see cref="AttemptLog.IntercomToZendesk"/> until one goes to Intercom):
    /// a failed attempt is logged with it, so a Zendesk reply that could not reach Intercom reads zendesk->intercom.
    /// </summary>
    public string Direction { get; private set; } = AttemptLog.IntercomToZendesk;

    /// <summary>Called before each vendor write, with its <paramref name="direction"/>: a stopping worker hands the rest of the job back here.</summary>
    public void BeforeVendorWrite(string direction)
    {
        attempt.ThrowIfStopping();
        Direction = direction;
    }

    /// <summary>
    /// Records the ticket link and ledger rows for items now in the ticket. Not cancelled with the
    /// attempt: once Zendesk has them, recording that is what keeps the next attempt from doubling them.
    /// </summary>
    /// <param name="commentIds">The Zendesk comment each item became, when known.</param>
    /// <param name="importedComments">How many comments the import that created the ticket made.</param>
    public Task RecordAsync(SyncPlan plan, long ticketId, string? status, IReadOnlyList<ThreadItem> items, IReadOnlyList<long>? commentIds = null, int? importedComments = null) =>
        WriteAsync(tx =>
        {
            tx.RecordTicket(ticketId, status, plan.Total, plan.Gap, importedComments);
            tx.RecordParts(ticketId, [.. items.Select((item, i) => Ledger(item, commentIds is not null && i < commentIds.Count ? commentIds[i] : null))]);
        });

    /// <summary>
    /// The conversation continues in a follow-up of its closed ticket: the link moves and the item that
    /// created the follow-up is recorded in the same transaction, so a retry neither loses nor repeats it.
    /// </summary>
    public Task RecordFollowUpAsync(SyncPlan plan, long closedTicketId, ZendeskTicket followUp, ThreadItem item) =>
        WriteAsync(tx =>
        {
            tx.MoveToFollowUp(closedTicketId, followUp.Id, createdComments: 1);
            tx.RecordTicket(followUp.Id, followUp.Status, plan.Total, plan.Gap, null);
            tx.RecordParts(followUp.Id, [Ledger(item, null)]);
        });

    /// <summary>A fenced write (see <see cref="AttemptTransaction"/>), committed now; counts as progress.</summary>
    public async Task WriteAsync(Action<AttemptTransaction> write)
    {
        await using var tx = new AttemptTransaction(db, Job);
        write(tx);
        await tx.CommitAsync(CancellationToken.None);
        Progressed = true;
    }

    /// <summary>
    /// A fenced write committed with the attempt's outcome, in the same transaction (one commit fewer):
    /// for the attempt's last write, after which no vendor call is made. Counts as progress.
    /// </summary>
    public void WriteWithOutcome(Action<AttemptTransaction> write)
    {
        attempt.RecordWithOutcome(write);
        Progressed = true;
    }

    private static LedgerPart Ledger(ThreadItem item, long? commentId) =>
        new(item.PartId, item.IsEvent ? "event" : item.IsPrivate ? "note" : "comment", item.CreatedAt, commentId);
}
