using Ferry.TicketService.Vendors.Zendesk;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Migration;

/// <summary>A bulk import that may still make the conversation's ticket: live sync waits for it instead of importing a second one.</summary>
public sealed class BulkImportPendingException(string conversationId, string job)
    : Exception($"A bulk backfill's create_many ({job}) may still make the ticket of conversation {conversationId}; syncing once it has ended.");

/// <summary>
/// Before live sync imports a conversation that has no ticket: a bulk run that died (and was not resumed) may have
/// left a create_many in Zendesk's queue that will still make this conversation's ticket, and Zendesk's external_id
/// is not unique. Each such job is asked once per attempt; one that ended is marked so, and while one has not, the
/// attempt fails as transient and is retried with backoff. A create_many whose answer never came is taken as ended
/// once <see cref="BackfillOptions.JobWait"/> has passed since it was sent.
/// </summary>
public sealed class PendingBulkImports(BackfillStore store, ZendeskTicketsClient zendesk, IOptions<BackfillOptions> options, TimeProvider clock)
{
    /// <returns>True when a job that held the conversation has ended now: look for its ticket again before importing.</returns>
    /// <exception cref="BulkImportPendingException">A job that may still make the ticket has not ended.</exception>
    public async Task<bool> SettleAsync(string conversationId, CancellationToken cancellationToken)
    {
        var ended = false;
        foreach (var (job, submittedAt) in await store.UnfinishedJobsForAsync(conversationId, cancellationToken))
        {
            var over = job.JobId is { } jobId
                ? await zendesk.JobStatusAsync(jobId, cancellationToken) is not { Finished: false }
                : clock.GetUtcNow() - submittedAt >= options.Value.JobWait;
            if (!over)
            {
                throw new BulkImportPendingException(conversationId, job.JobId is { } id ? $"job {id}" : $"sent {submittedAt:u}, no answer");
            }

            await store.FinishedAsync(job.Id, cancellationToken);
            ended = true;
        }

        return ended;
    }
}
