using System.Runtime.CompilerServices;
using Ferry.ServiceDefaults.Vendors;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Migration;

/// <summary>One step of a run: the figures so far, and whether the run is finished.</summary>
/// <param name="RunId">The resume token (a dry run has none: it stores nothing).</param>
public sealed record BulkProgress(string? RunId, BackfillFigures Figures, bool Done, string? LastConversationId, TimeSpan EstimatedDuration);

/// <summary>The run to resume is not stored.</summary>
public sealed class BackfillRunNotFoundException(string runId) : Exception($"No backfill run '{runId}' (the resume token is the run id a bulk backfill printed).");

/// <summary>
/// A bulk backfill run (docs/MIGRATION.md): walks Intercom's conversation search 100 at a time, hands each
/// page to <see cref="BulkBatch"/>, and moves the stored checkpoint past a page once its conversations are in
/// the ledger. Stopped or crashed, it resumes from that page with its run id; what the interrupted page
/// imported is linked by then (skipped) or held (left to live sync, which adopts it).
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

    public async IAsyncEnumerable<BulkProgress> RunAsync(BulkPlan plan, string? resumeToken, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BackfillRun? run = null;
        if (resumeToken is not null)
        {
            run = await store.GetAsync(resumeToken, cancellationToken) ?? throw new BackfillRunNotFoundException(resumeToken);
            plan = run.Plan with { DryRun = false };
        }
        else if (!plan.DryRun)
        {
            run = await store.CreateAsync(plan, cancellationToken);
        }

        var pace = new BackfillPace(limits.Value.ZendeskPerMinute * options.Value.BudgetShare, time);
        var cursor = run?.Cursor;
        var figures = run?.Figures ?? new BackfillFigures();
        if (run is { State: "done" })
        {
            yield return new BulkProgress(run.RunId, figures, true, null, pace.Duration(figures.ZendeskCalls));
            yield break;
        }

        LogStarted(logger, run?.RunId ?? "dry run", cursor is null ? "the start" : "its checkpoint");
        while (true)
        {
            var (step, next, done) = await StepAsync(run, plan, cursor, figures, pace, cancellationToken);
            figures = step.Figures;
            cursor = next;
            yield return step with { Done = done, EstimatedDuration = pace.Duration(figures.ZendeskCalls) };
            if (done)
            {
                yield break;
            }
        }
    }

    /// <summary>One page; a failure (or a stop) is stored with the run so the operator sees it, and rethrown.</summary>
    private async Task<(BulkProgress Step, string? Next, bool Done)> StepAsync(BackfillRun? run, BulkPlan plan, string? cursor, BackfillFigures figures, BackfillPace pace, CancellationToken cancellationToken)
    {
        try
        {
            var page = await intercom.SearchUpdatedAsync(plan.UpdatedSince, plan.UpdatedBefore, cursor, PageSize, cancellationToken);
            var conversations = page.Conversations ?? [];
            var room = plan.Limit > 0 ? plan.Limit - figures.Seen : int.MaxValue;
            var taken = conversations.Count > room ? [.. conversations.Take(room)] : conversations;
            var found = await batch.RunAsync(run?.RunId ?? "dry-run", plan, taken, pace, cancellationToken);
            figures = figures.Add(found with { Total = page.TotalCount });
            var next = page.Pages?.Next?.StartingAfter;
            var done = string.IsNullOrEmpty(next) || (plan.Limit > 0 && figures.Seen >= plan.Limit);
            if (run is not null)
            {
                await store.SaveAsync(run.RunId, next, figures, done ? "done" : "running", null, CancellationToken.None);
            }

            return (new BulkProgress(run?.RunId, figures, done, taken.Count > 0 ? taken[^1].Id : null, TimeSpan.Zero), next, done);
        }
        catch (Exception error) when (run is not null)
        {
            var stopped = cancellationToken.IsCancellationRequested;
            await store.SaveAsync(run.RunId, cursor, figures, stopped ? "stopped" : "failed", stopped ? null : error.Message, CancellationToken.None);
            LogInterrupted(logger, run.RunId, stopped ? "stopped" : "failed", error.Message);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {RunId} runs from {From}")]
    private static partial void LogStarted(ILogger logger, string runId, string from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backfill {RunId} {State}: {Error}; resume it with its run id")]
    private static partial void LogInterrupted(ILogger logger, string runId, string state, string error);
}
