using System.Runtime.CompilerServices;
using Ferry.ServiceDefaults.Vendors;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Migration;

/// <summary>One step of a run: the figures so far, and whether the run is finished.</summary>
/// <param name="RunId">The resume token (a dry run has none: it stores nothing).</param>
public sealed record BulkProgress(string? RunId, BackfillFigures Figures, bool Done, string? LastConversationId, TimeSpan EstimatedDuration);

/// <summary>The run to resume is not stored.</summary>
public sealed class BackfillRunNotFoundException(string runId) : Exception($"No backfill run '{runId}' (the resume token is the run id a bulk backfill printed).");

/// <summary>A create_many job the run's crashed process left did not end within Backfill:JobWait: resuming now could double its tickets.</summary>
public sealed class BackfillJobsUnfinishedException(string jobId, TimeSpan waited)
    : Exception($"Zendesk job {jobId} of this run has not ended after {waited}; its conversations stay held. Resume again later.");

/// <summary>
/// A bulk backfill run (docs/MIGRATION.md): walks Intercom's conversation search 100 at a time, hands each
/// page to <see cref="BulkBatch"/> (two pages in flight), and moves the stored checkpoint past a page once it
/// and every page before it are in the ledger. Stopped or crashed, it resumes from that page with its run id:
/// what the interrupted pages imported is linked by then (skipped), and what they still held is re-taken at
/// once (imported, or handed to live sync when Zendesk has its ticket already).
/// </summary>
public sealed partial class BulkBackfill(
    IntercomClient intercom,
    BulkBatch batch,
    BackfillStore store,
    IOptions<RateLimitOptions> limits,
    IOptions<BackfillOptions> options,
    TimeProvider time,
    ILogger<BulkBackfill> logger)
{
    private const int PageSize = 100;

    /// <summary>Pages whose batches run at once: the next one overlaps the job waits of the current one.</summary>
    private const int PagesInFlight = 2;

    public async IAsyncEnumerable<BulkProgress> RunAsync(BulkPlan plan, string? resumeToken, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BackfillRun? run = null;
        var pace = new BackfillPace(limits.Value.ZendeskPerMinute * options.Value.BudgetShare, time);
        if (resumeToken is not null)
        {
            run = await store.GetAsync(resumeToken, cancellationToken) ?? throw new BackfillRunNotFoundException(resumeToken);
            plan = run.Plan with { DryRun = false };

            // The conversations the run still holds are those of pages in flight when its process died.
            await batch.RetakeAsync(run.RunId, pace, cancellationToken);
        }
        else if (!plan.DryRun)
        {
            run = await store.CreateAsync(plan, cancellationToken);
        }

        var figures = run?.Figures ?? new BackfillFigures();
        if (run is { State: "done" })
        {
            yield return new BulkProgress(run.RunId, figures, true, null, pace.Duration(figures.ZendeskCalls));
            yield break;
        }

        LogStarted(logger, run?.RunId ?? "dry run", run?.Cursor is null ? "the start" : "its checkpoint");
        var pages = new Pipeline(run, plan, run?.Cursor, figures.Seen);
        try
        {
            while (true)
            {
                while (pages.Room && pages.InFlight < PagesInFlight)
                {
                    await StartPageAsync(pages, pace, cancellationToken);
                }

                var page = pages.Oldest();
                var found = await AwaitPageAsync(pages, page, cancellationToken);
                figures = figures.Add(found with { Total = page.Total });
                var done = !pages.Room && pages.InFlight == 0;
                if (run is not null)
                {
                    // The checkpoint passes a page only once it and every page before it are in the ledger.
                    await store.SaveAsync(run.RunId, page.Next, figures, done ? "done" : "running", null, CancellationToken.None);
                }

                yield return new BulkProgress(run?.RunId, figures, done, page.LastConversationId, pace.Duration(figures.ZendeskCalls));
                if (done)
                {
                    yield break;
                }
            }
        }
        finally
        {
            // Stopped (or the caller went away): the pages still in flight end, releasing their holds, before the run does.
            await pages.DrainAsync();
        }
    }

    /// <summary>Reads the next page of the selection and starts its batch (the Intercom search is cheap; the batch runs alongside the one before).</summary>
    private async Task StartPageAsync(Pipeline pages, BackfillPace pace, CancellationToken cancellationToken)
    {
        try
        {
            var found = await intercom.SearchUpdatedAsync(pages.Plan.UpdatedSince, pages.Plan.UpdatedBefore, pages.ReadCursor, PageSize, cancellationToken);
            var selected = (found.Conversations ?? []).Where(c => BulkBatch.Selects(pages.Plan, c)).ToList();
            var room = pages.Plan.Limit > 0 ? pages.Plan.Limit - pages.Scheduled : int.MaxValue;
            var taken = selected.Count > room ? [.. selected.Take(room)] : selected;
            var next = found.Pages?.Next?.StartingAfter;
            pages.Start(
                batch.RunAsync(pages.Run?.RunId ?? "dry-run", pages.Plan, taken, pace, cancellationToken),
                next,
                found.TotalCount,
                taken.Count > 0 ? taken[^1].Id : null,
                last: string.IsNullOrEmpty(next) || (pages.Plan.Limit > 0 && pages.Scheduled + taken.Count >= pages.Plan.Limit),
                taken.Count);
        }
        catch (Exception error) when (pages.Run is not null)
        {
            await FailAsync(pages, error, cancellationToken);
            throw;
        }
    }

    private async Task<BackfillFigures> AwaitPageAsync(Pipeline pages, Page page, CancellationToken cancellationToken)
    {
        try
        {
            var found = await page.Batch;
            pages.Dequeue();
            return found;
        }
        catch (Exception error) when (pages.Run is not null)
        {
            await FailAsync(pages, error, cancellationToken);
            throw;
        }
    }

    /// <summary>A failure (or a stop) is stored with the run, at the checkpoint, so the operator sees it and resumes from there.</summary>
    private async Task FailAsync(Pipeline pages, Exception error, CancellationToken cancellationToken)
    {
        await pages.DrainAsync();
        var run = pages.Run!;
        var stopped = cancellationToken.IsCancellationRequested;
        var stored = await store.GetAsync(run.RunId, CancellationToken.None);
        await store.SaveAsync(run.RunId, stored?.Cursor, stored?.Figures ?? run.Figures, stopped ? "stopped" : "failed", stopped ? null : error.Message, CancellationToken.None);
        LogInterrupted(logger, run.RunId, stopped ? "stopped" : "failed", error.Message);
    }

    /// <summary>A page's batch under way: the cursor after it (its checkpoint once done) and what it took.</summary>
    private sealed record Page(Task<BackfillFigures> Batch, string? Next, int Total, string? LastConversationId);

    /// <summary>
    /// The pages in flight, oldest first (at most <see cref="PagesInFlight"/>): the next page's selection,
    /// contact resolution and import overlap the Zendesk job waits of the one before.
    /// </summary>
    private sealed class Pipeline(BackfillRun? run, BulkPlan plan, string? cursor, int seen)
    {
        private readonly Queue<Page> _pages = new();

        public BackfillRun? Run => run;

        public BulkPlan Plan => plan;

        /// <summary>The cursor of the next page to read.</summary>
        public string? ReadCursor { get; private set; } = cursor;

        /// <summary>Conversations selected so far, pages in flight included (for the plan's limit).</summary>
        public int Scheduled { get; private set; } = seen;

        /// <summary>More pages to read.</summary>
        public bool Room { get; private set; } = plan.Limit == 0 || seen < plan.Limit;

        public int InFlight => _pages.Count;

        public void Start(Task<BackfillFigures> batch, string? next, int total, string? lastConversationId, bool last, int taken)
        {
            _pages.Enqueue(new Page(batch, next, total, lastConversationId));
            ReadCursor = next;
            Scheduled += taken;
            Room = !last;
        }

        public Page Oldest() => _pages.Peek();

        public void Dequeue() => _pages.Dequeue();

        /// <summary>Waits for every page in flight to end (each releases its holds however it ends).</summary>
        public async Task DrainAsync()
        {
            while (_pages.TryDequeue(out var page))
            {
                try
                {
                    await page.Batch;
                }
                catch (Exception)
                {
                    // Ended: what it did not record is live sync's; the run's own failure is reported by the caller.
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {RunId} runs from {From}")]
    private static partial void LogStarted(ILogger logger, string runId, string from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backfill {RunId} {State}: {Error}; resume it with its run id")]
    private static partial void LogInterrupted(ILogger logger, string runId, string state, string error);
}
