using System.Diagnostics;
using System.Threading.RateLimiting;
using Ferry.TicketService.Queue;
using Ferry.TicketService.Rules;
using Ferry.TicketService.Telemetry;
using Ferry.TicketService.Vendors;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Reconcile;

public sealed record ReconcileFinding(string Kind, string ConversationId, long? TicketId, string Detail, long JobId, DateTimeOffset FoundAt);

/// <param name="Watermark">Where the next scan starts (before the overlap); null when no scan ran.</param>
public sealed record ReconcileReport(IReadOnlyList<ReconcileFinding> Findings, int ConversationsChecked, int VendorCalls, DateTimeOffset? Watermark, bool DryRun);

/// <summary>
/// Finds what webhooks never told Ferry and queues a sync for it; never writes a vendor itself.
/// The scan pass pages Intercom's conversation search by updated_at from a persisted watermark (with an
/// overlap) and compares each conversation with Ferry's records (<see cref="ConversationDrift"/>), then
/// requeues dead jobs whose transient cause has cleared. The deep pass reads a sample of linked tickets
/// back from Zendesk: a status changed there unnoticed, comments the ledger knows that are gone, or the ticket deleted.
/// One pass of a kind runs at a time across replicas (ReconcileStore's row lock); its vendor calls are
/// paced to Reconcile:BudgetShare of the shared budget, so live sync keeps the rest.
/// </summary>
public sealed partial class Reconciler
{
    public const string ScanPass = "scan";
    public const string DeepPass = "deep";

    private const int SearchPageSize = 150;

    private readonly IntercomClient _intercom;
    private readonly ZendeskTicketsClient _zendesk;
    private readonly ReconcileStore _store;
    private readonly RuleEngine _rules;
    private readonly ReconcileOptions _options;
    private readonly QueueOptions _queue;
    private readonly TicketTelemetry _telemetry;
    private readonly TimeProvider _clock;
    private readonly ILogger<Reconciler> _logger;
    private readonly RateLimiter _intercomPace;
    private readonly RateLimiter _zendeskPace;

    public Reconciler(
        IntercomClient intercom, ZendeskTicketsClient zendesk, ReconcileStore store, RuleEngine rules, IOptions<ReconcileOptions> options,
        IOptions<QueueOptions> queue, ReconcileBudget budget, TicketTelemetry telemetry, TimeProvider clock, ILogger<Reconciler> logger)
    {
        (_intercom, _zendesk, _store, _rules, _options, _queue, _telemetry, _clock, _logger) =
            (intercom, zendesk, store, rules, options.Value, queue.Value, telemetry, clock, logger);
        (_intercomPace, _zendeskPace) = (budget.Intercom, budget.Zendesk);
    }

    /// <summary>
    /// Runs the passes asked for. In the background (<paramref name="onDemand"/> false) a pass is skipped
    /// when another replica runs it or it ran less than its interval ago; on demand it waits for a running one.
    /// Returns null when nothing ran.
    /// </summary>
    public async Task<ReconcileReport?> RunAsync(bool scan, bool deep, bool dryRun, bool onDemand, CancellationToken cancellationToken)
    {
        var calls = VendorCalls.Begin();
        var findings = new List<ReconcileFinding>();
        var checkedCount = 0;
        DateTimeOffset? watermark = null;
        var ran = false;
        if (scan && await BeginAsync(ScanPass, _options.Interval, onDemand, cancellationToken) is { } scanPass)
        {
            await using (scanPass)
            {
                ran = true;
                (checkedCount, watermark) = await ScanAsync(scanPass, dryRun, findings, cancellationToken);
                await ReviveClearedDeadJobsAsync(dryRun, findings, cancellationToken);
                await CompleteAsync(scanPass, ScanPass, dryRun ? null : watermark, findings.Count, checkedCount, calls, dryRun, cancellationToken);
            }
        }

        if (deep && await BeginAsync(DeepPass, _options.DeepInterval, onDemand, cancellationToken) is { } deepPass)
        {
            await using (deepPass)
            {
                ran = true;
                var before = findings.Count;
                checkedCount += await DeepCheckAsync(dryRun, findings, cancellationToken);
                await CompleteAsync(deepPass, DeepPass, null, findings.Count - before, checkedCount, calls, dryRun, cancellationToken);
            }
        }

        return ran ? new ReconcileReport(findings, checkedCount, calls.Count, watermark, dryRun) : null;
    }

    private Task<ReconcilePass?> BeginAsync(string pass, TimeSpan interval, bool onDemand, CancellationToken cancellationToken) =>
        // Background passes on several replicas: the first takes it, the others find it done (90 % of the interval absorbs timer jitter).
        _store.TryBeginAsync(pass, interval * 0.9, wait: onDemand, cancellationToken);

    private async Task CompleteAsync(
        ReconcilePass pass, string name, DateTimeOffset? watermark, int findings, int checkedCount, VendorCalls calls, bool dryRun, CancellationToken cancellationToken)
    {
        var summary = $"{findings} finding(s) in {checkedCount} conversation(s), {calls.Count} vendor call(s)";
        LogPass(_logger, name, findings, checkedCount, calls.Count, dryRun);
        if (!dryRun)
        {
            await pass.CompleteAsync(watermark, summary, cancellationToken);
        }
    }

    private async Task<(int Checked, DateTimeOffset Watermark)> ScanAsync(ReconcilePass pass, bool dryRun, List<ReconcileFinding> findings, CancellationToken cancellationToken)
    {
        using var activity = TicketTelemetry.Source.StartActivity("reconcile.scan");
        // updated_at has whole seconds: the window ends after the current second, so it includes conversations updated in it.
        var before = _clock.GetUtcNow() + TimeSpan.FromSeconds(1);
        var since = (pass.Watermark ?? before - _options.InitialLookback) - _options.Overlap;
        var first = await SearchAsync(since, before, null, cancellationToken);

        // Too much drifted at once (a long outage): take the older half now, the rest in the next passes.
        while (first.TotalCount > _options.MaxConversationsPerPass && before - since > TimeSpan.FromMinutes(1))
        {
            before = since + ((before - since) / 2);
            first = await SearchAsync(since, before, null, cancellationToken);
        }

        activity?.SetTag("ferry.reconcile.since", since.ToString("O"));
        var checkedCount = 0;
        for (var page = first; ; page = await SearchAsync(since, before, page.Pages!.Next!.StartingAfter, cancellationToken))
        {
            var conversations = page.Conversations ?? [];
            checkedCount += conversations.Count;
            var records = await _store.LookupAsync([.. conversations.Select(c => c.Id)], cancellationToken);
            foreach (var conversation in conversations)
            {
                var excluded = _rules.Evaluate(conversation).Skip;
                if (ConversationDrift.Find(conversation, records.GetValueOrDefault(conversation.Id), excluded) is { } drift)
                {
                    await FoundAsync(drift, conversation.Id, records.GetValueOrDefault(conversation.Id)?.TicketId, [], dryRun, findings, cancellationToken);
                }
            }

            if (string.IsNullOrEmpty(page.Pages?.Next?.StartingAfter) || conversations.Count == 0)
            {
                break;
            }
        }

        activity?.SetTag("ferry.reconcile.checked", checkedCount);
        return (checkedCount, before);
    }

    private async Task<IntercomSearchPage> SearchAsync(DateTimeOffset since, DateTimeOffset before, string? startingAfter, CancellationToken cancellationToken)
    {
        using var lease = await _intercomPace.AcquireAsync(1, cancellationToken);
        return await _intercom.SearchUpdatedAsync(since, before, startingAfter, SearchPageSize, cancellationToken);
    }

    private async Task ReviveClearedDeadJobsAsync(bool dryRun, List<ReconcileFinding> findings, CancellationToken cancellationToken)
    {
        foreach (var dead in await _store.ClearedDeadJobsAsync(_queue.RetryWindow, limit: 1000, cancellationToken))
        {
            var drift = new Drift(FindingKind.DeadCleared, $"dead since {dead.DiedAt:u} of transient faults, and syncs succeed again ({dead.Reason})");
            await FoundAsync(drift, dead.ConversationId, dead.TicketId, [], dryRun, findings, cancellationToken);
        }
    }

    private async Task<int> DeepCheckAsync(bool dryRun, List<ReconcileFinding> findings, CancellationToken cancellationToken)
    {
        using var activity = TicketTelemetry.Source.StartActivity("reconcile.deep");
        var sample = await _store.SampleLinkedAsync(_options.DeepSample, markChecked: !dryRun, cancellationToken);
        // A running job reads the ticket itself; a dead one waits for the operator (ferry attempts --dead).
        foreach (var linked in sample.Where(t => t.JobState is not (JobState.Pending or JobState.Running or JobState.Dead)))
        {
            using (await _zendeskPace.AcquireAsync(1, cancellationToken))
            {
                if (await _zendesk.GetAsync(linked.TicketId, cancellationToken) is not { } ticket)
                {
                    // Deleted by an agent: the sync it queues dies at once with the reason, so the operator sees it.
                    var drift = new Drift(FindingKind.TicketDeleted, "ticket not found in Zendesk (deleted by an agent?)");
                    await FoundAsync(drift, linked.ConversationId, linked.TicketId, [], dryRun, findings, cancellationToken);
                    continue;
                }

                if (linked.ZendeskStatus is { } inStep && ticket.Status != inStep)
                {
                    var drift = new Drift(FindingKind.StatusDrift, $"ticket is {ticket.Status} in Zendesk, last in step as {inStep}");
                    await FoundAsync(drift, linked.ConversationId, linked.TicketId, [], dryRun, findings, cancellationToken);
                    continue;
                }
            }

            var ledger = await _store.LedgerCommentsAsync(linked.ConversationId, linked.TicketId, cancellationToken);
            if (ledger.Count == 0)
            {
                continue;
            }

            var present = new HashSet<long>();
            await foreach (var page in _zendesk.CommentPagesAsync(linked.TicketId, newest: false, cancellationToken))
            {
                present.UnionWith(page.Select(c => c.Id));
                using var next = await _zendeskPace.AcquireAsync(1, cancellationToken);
            }

            var missing = ledger.Where(p => !present.Contains(p.Value)).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                var drift = new Drift(FindingKind.MissingComments, $"{missing.Count} synced part(s) no longer in the ticket (first: part {missing[0]})");
                await FoundAsync(drift, linked.ConversationId, linked.TicketId, missing, dryRun, findings, cancellationToken);
            }
        }

        activity?.SetTag("ferry.reconcile.checked", sample.Count);
        return sample.Count;
    }

    private async Task FoundAsync(
        Drift drift, string conversationId, long? ticketId, IReadOnlyList<string> forgetParts, bool dryRun, List<ReconcileFinding> findings, CancellationToken cancellationToken)
    {
        long jobId = 0;
        if (!dryRun)
        {
            if (await _store.RecordFindingAsync(drift.Kind, conversationId, ticketId, drift.Detail, forgetParts, cancellationToken) is not { } job)
            {
                return;
            }

            jobId = job.JobId;
            _telemetry.ReconcileFindings.Add(1, new KeyValuePair<string, object?>("kind", drift.Kind));
        }

        LogFinding(_logger, drift.Kind, conversationId, ticketId, drift.Detail, dryRun);
        findings.Add(new ReconcileFinding(drift.Kind, conversationId, ticketId, drift.Detail, jobId, _clock.GetUtcNow()));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciler found {Kind} for conversation {ConversationId} (ticket {TicketId}): {Detail} (dry run: {DryRun})")]
    private static partial void LogFinding(ILogger logger, string kind, string conversationId, long? ticketId, string detail, bool dryRun);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciler {Pass} pass: {Findings} finding(s) in {Checked} conversation(s), {VendorCalls} vendor call(s) (dry run: {DryRun})")]
    private static partial void LogPass(ILogger logger, string pass, int findings, int @checked, int vendorCalls, bool dryRun);
}
