using System.Runtime.CompilerServices;
using Ferry.TicketService.Queue;

namespace Ferry.TicketService.Sync;

public sealed record BackfillPlan(DateTimeOffset? UpdatedSince, DateTimeOffset? UpdatedBefore, bool DryRun, string? ResumeToken, int Limit);

public sealed record BackfillStep(int Seen, int Queued, int Skipped, string? ResumeToken, bool Done, string? LastConversationId);

/// <summary>
/// Walks Intercom's conversation search page by page and queues a backfill job per conversation.
/// Resumable: the resume token is Intercom's cursor for the next page. Queuing is idempotent
/// (jobs coalesce per conversation), so re-running a window is safe.
/// </summary>
public sealed class Backfill(IntercomClient intercom, JobStore queue)
{
    private const int PageSize = 150;

    public async IAsyncEnumerable<BackfillStep> RunAsync(BackfillPlan plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int seen = 0, queued = 0, skipped = 0;
        var cursor = plan.ResumeToken;
        string? last = null;
        while (true)
        {
            var page = await intercom.SearchUpdatedAsync(plan.UpdatedSince, plan.UpdatedBefore, cursor, PageSize, cancellationToken);
            foreach (var conversation in page.Conversations ?? [])
            {
                if (plan.Limit > 0 && seen >= plan.Limit)
                {
                    yield return new BackfillStep(seen, queued, skipped, cursor, Done: false, last);
                    yield break;
                }

                seen++;
                last = conversation.Id;
                if (plan.DryRun)
                {
                    skipped++;
                    continue;
                }

                var job = await queue.RequestAsync(conversation.Id, SyncTrigger.Backfill, null, cancellationToken);
                if (job.Coalesced)
                {
                    skipped++;
                }
                else
                {
                    queued++;
                }
            }

            cursor = page.Pages?.Next?.StartingAfter;
            var done = string.IsNullOrEmpty(cursor);
            yield return new BackfillStep(seen, queued, skipped, cursor, done, last);
            if (done)
            {
                yield break;
            }
        }
    }
}
