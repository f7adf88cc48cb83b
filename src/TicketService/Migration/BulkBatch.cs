using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Rules;
using Ferry.TicketService.Sync;
using Ferry.V1;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ferry.TicketService.Migration;

/// <summary>
/// One page of a bulk backfill (≤ 100 conversations): select, hold from live sync, read each conversation,
/// resolve every contact in one IdentityService call, copy attachments, import the tickets in one
/// create_many job, and record each in the ledger live sync reads (so a later webhook appends). A dry run
/// takes the same steps up to the writes and counts what they would be.
/// </summary>
public sealed partial class BulkBatch(
    IntercomClient intercom,
    Identity.IdentityClient identity,
    ZendeskApiUser apiUser,
    CommentBuilder comments,
    ZendeskTicketsClient zendesk,
    BackfillStore store,
    NpgsqlDataSource db,
    RuleEngine rules,
    IOptions<SyncOptions> syncOptions,
    IOptions<StatusOptions> statusOptions,
    IOptions<BackfillOptions> options,
    ILogger<BulkBatch> logger)
{
    /// <summary>Job-status polls a dry run assumes per bulk job (Zendesk's jobs answer "queued", then "working").</summary>
    public const int EstimatedPollsPerJob = 3;

    /// <summary>429s an import waits out before the batch gives up (and the run stops, resumable).</summary>
    private const int MaxRateLimitWaits = 10;

    /// <summary>Ledger transactions at once when a chunk's tickets are recorded.</summary>
    private const int RecordConcurrency = 4;

    /// <summary>The plan's state filter (the time range is the search's).</summary>
    public static bool Selects(BulkPlan plan, IntercomConversation conversation) =>
        plan.States.Count == 0 || plan.States.Contains(conversation.State ?? "open", StringComparer.Ordinal);

    /// <summary>
    /// After a crash, on resume: the conversations the run still holds (its pages in flight then). First the
    /// run's create_many jobs that had not ended are waited for (≤ Backfill:JobWait, holds renewed), since
    /// Zendesk may still make their tickets; then those whose ticket Zendesk has (the job's results, or a
    /// ticket with their external_id) go to live sync at once, which adopts the ticket, and the rest are
    /// released for the resumed run to import. Those of a create_many whose answer never came stay held
    /// until their lease passes (see <see cref="RunAsync"/>).
    /// </summary>
    public async Task RetakeAsync(string runId, BackfillPace pace, CancellationToken cancellationToken)
    {
        var held = await store.HeldAsync(runId, cancellationToken);
        var jobs = await store.UnfinishedJobsAsync(runId, cancellationToken);
        var unanswered = jobs.Where(j => j.JobId is null).SelectMany(j => j.ConversationIds).ToHashSet(StringComparer.Ordinal);
        var retaken = held.Where(j => !unanswered.Contains(j.ConversationId)).ToList();
        var retakenIds = retaken.Select(j => j.ConversationId).ToHashSet(StringComparer.Ordinal);
        Dictionary<string, bool> decided;
        using (var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var renewing = RenewWhileRunningAsync(retaken, renewal.Token);
            try
            {
                decided = await WaitForJobsAsync([.. jobs.Where(j => j.JobId is not null && j.ConversationIds.Any(retakenIds.Contains))], pace, cancellationToken);
            }
            finally
            {
                await renewal.CancelAsync();
                await renewing;
            }
        }

        var found = await InParallelAsync([.. retaken.Select(j => j.ConversationId).Where(id => !decided.ContainsKey(id))], async id =>
            (await zendesk.FindByExternalIdAsync(TicketPlanner.ExternalId(id), cancellationToken)).Count > 0 ? id : null);
        var imported = found.OfType<string>().Concat(decided.Where(d => d.Value).Select(d => d.Key)).ToHashSet(StringComparer.Ordinal);
        await store.ReleaseAsync(retaken.Where(j => imported.Contains(j.ConversationId)), handToLiveSync: true, cancellationToken);
        await store.ReleaseAsync(retaken.Where(j => !imported.Contains(j.ConversationId)), handToLiveSync: false, cancellationToken);
        if (held.Count > 0)
        {
            LogRetaken(logger, runId, retaken.Count, imported.Count, held.Count - retaken.Count);
        }
    }

    /// <param name="page">The page's selected conversations (<see cref="Selects"/>).</param>
    public async Task<BackfillFigures> RunAsync(string runId, BulkPlan plan, IReadOnlyList<IntercomConversation> page, BackfillPace pace, CancellationToken cancellationToken)
    {
        var selected = page.Select(c => c.Id).ToList();
        var linked = await store.LinkedAsync(selected, cancellationToken);
        var candidates = selected.Where(id => !linked.Contains(id)).ToList();
        Dictionary<string, ClaimedJob> held = [];
        IReadOnlyList<string> chosen;
        if (plan.DryRun)
        {
            var active = await store.ActiveAsync(candidates, cancellationToken);
            chosen = [.. candidates.Where(id => !active.Contains(id))];
        }
        else
        {
            held = await store.HoldAsync(candidates, runId, options.Value.HoldLease, cancellationToken);
            chosen = [.. candidates.Where(held.ContainsKey)];
        }

        var figures = new BackfillFigures { Seen = selected.Count, AlreadySynced = linked.Count, LeftToLiveSync = candidates.Count - chosen.Count };
        var unsettled = new HashSet<string>(StringComparer.Ordinal);
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewing = RenewWhileRunningAsync([.. held.Values], renewal.Token);
        try
        {
            figures = await ImportAsync(runId, plan, chosen, held, unsettled, figures, pace, cancellationToken);
            await store.ReleaseAsync(held.Values, handToLiveSync: false, CancellationToken.None);
            return figures;
        }
        catch (Exception error)
        {
            // Whatever this batch did not record, live sync takes over now (it adopts a ticket the import made),
            // except what a create_many not known to have ended holds: Zendesk may make those tickets later, after
            // live sync found none and imported its own. They stay held, no longer renewed, until the lease passes.
            var settled = held.Values.Where(j => !unsettled.Contains(j.ConversationId)).ToList();
            LogBatchFailed(logger, runId, settled.Count, held.Count - settled.Count, error.Message);
            await store.ReleaseAsync(settled, handToLiveSync: true, CancellationToken.None);
            throw;
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
        }
    }

    /// <summary>Renews the batch's holds every third of their lease until it ends; only a dead run's holds expire.</summary>
    private async Task RenewWhileRunningAsync(List<ClaimedJob> holds, CancellationToken cancellationToken)
    {
        if (holds.Count == 0)
        {
            return;
        }

        var lease = options.Value.HoldLease;
        using var timer = new PeriodicTimer(lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await store.RenewAsync(holds, lease, cancellationToken);
                }
                catch (NpgsqlException error)
                {
                    LogRenewFailed(logger, holds.Count, error.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The batch ended.
        }
    }

    private async Task<BackfillFigures> ImportAsync(
        string runId, BulkPlan plan, IReadOnlyList<string> chosen, Dictionary<string, ClaimedJob> held, HashSet<string> unsettled, BackfillFigures figures, BackfillPace pace, CancellationToken cancellationToken)
    {
        var conversations = (await InParallelAsync(chosen, id => intercom.GetConversationAsync(id, cancellationToken))).OfType<IntercomConversation>().ToList();
        var wanted = new List<(IntercomConversation Conversation, RoutingDecision Routing, string RequesterId)>();
        foreach (var conversation in conversations)
        {
            var routing = rules.Evaluate(conversation);
            if (routing.Skip)
            {
                figures = figures with { SkippedByRules = figures.SkippedByRules + 1 };
                if (!plan.DryRun)
                {
                    rules.RecordSkip(conversation.Id, routing);
                }
            }
            else if (conversation.Contacts?.Contacts is [var first, ..])
            {
                wanted.Add((conversation, routing, first.Id));
            }
            else
            {
                figures = figures with { NoRequester = figures.NoRequester + 1 };
            }
        }

        var authors = new AuthorDirectory(intercom, identity, apiUser);
        figures = await ResolveContactsAsync(wanted.SelectMany(w => ContactIds(w.Conversation).Prepend(w.RequesterId)), plan.DryRun, authors, figures, pace, cancellationToken);

        var imports = new List<(IntercomConversation Conversation, SyncPlan Plan, TicketImport Import)>();
        foreach (var (conversation, routing, requesterId) in wanted)
        {
            var syncPlan = await PlanAsync(conversation, routing, requesterId, authors, plan, cancellationToken);
            var files = syncPlan.Thread.SelectMany(i => i.Attachments).ToList();
            figures = figures with { AttachmentFiles = figures.AttachmentFiles + files.Count, AttachmentBytes = figures.AttachmentBytes + files.Sum(f => f.Filesize ?? 0) };
            if (!plan.DryRun)
            {
                // AttachmentService uploads each file to Zendesk: one call per file.
                await pace.SpendAsync(files.Count, cancellationToken);
            }

            var import = await TicketImports.BuildAsync(conversation.Id, syncPlan, item => plan.DryRun
                ? Task.FromResult<(NewComment, ThreadItem?)>((new NewComment(null, item.Body ?? "", !item.IsPrivate, null), null))
                : comments.BuildAsync(conversation.Id, syncPlan, item, cancellationToken), cancellationToken);
            imports.Add((conversation, syncPlan, import));
            figures = figures with { Tickets = figures.Tickets + 1, Comments = figures.Comments + import.Comments.Count, ZendeskCalls = figures.ZendeskCalls + files.Count };
        }

        foreach (var group in imports.GroupBy(i => i.Import.Status == "closed"))
        {
            foreach (var chunk in group.Chunk(ZendeskTicketsClient.MaxImportsPerCall))
            {
                if (plan.DryRun)
                {
                    figures = figures with { ZendeskCalls = figures.ZendeskCalls + 1 + EstimatedPollsPerJob };
                    continue;
                }

                var (results, calls) = await ImportChunkAsync(runId, [.. chunk.Select(c => (c.Conversation.Id, c.Import))], archiveImmediately: group.Key, unsettled, cancellationToken);
                figures = figures with { ZendeskCalls = figures.ZendeskCalls + calls };
                await pace.SpendAsync(calls, cancellationToken);
                await RecordAsync(runId, chunk, results, held);
            }
        }

        return figures;
    }

    /// <summary>
    /// One create_many, stored with its conversations before it is sent and with its job id before it is
    /// waited on, so a resumed run waits for it too. While it is not known to have ended its conversations are
    /// <paramref name="unsettled"/>: Zendesk may still make their tickets, so they are not handed to live sync.
    /// A 429 means Zendesk did not take it: waiting its Retry-After and sending again cannot double it. Any
    /// failure but a 429 or a 4xx (a cut or lost answer, a timeout, a 5xx) may follow an accepted job.
    /// </summary>
    private async Task<(IReadOnlyList<ZendeskJobResult> Results, int Calls)> ImportChunkAsync(
        string runId, IReadOnlyList<(string ConversationId, TicketImport Import)> chunk, bool archiveImmediately, HashSet<string> unsettled, CancellationToken cancellationToken)
    {
        var ids = chunk.Select(c => c.ConversationId).ToList();
        var stored = await store.SubmittingAsync(runId, ids, cancellationToken);
        unsettled.UnionWith(ids);
        string jobId;
        for (var refused = 0; ; refused++)
        {
            try
            {
                jobId = await zendesk.SubmitImportManyAsync([.. chunk.Select(c => c.Import)], archiveImmediately, cancellationToken);
                break;
            }
            catch (Vendors.VendorRateLimitedException limited) when (refused < MaxRateLimitWaits)
            {
                await Task.Delay(limited.RetryAfter, cancellationToken);
            }
            catch (Exception answered) when (answered is Vendors.VendorRateLimitedException or Vendors.VendorException { IsTransient: false })
            {
                // Zendesk answered no: it queued nothing, so live sync may take these at once.
                await store.FinishedAsync(stored, CancellationToken.None);
                unsettled.ExceptWith(ids);
                throw;
            }
        }

        // Not cancelled with the run: once Zendesk holds the job, knowing its id is what lets a resume wait for it.
        await store.SubmittedAsync(stored, jobId, CancellationToken.None);
        var (job, polls) = await zendesk.WaitForJobAsync(jobId, cancellationToken);
        await store.FinishedAsync(stored, CancellationToken.None);
        unsettled.ExceptWith(ids);
        return job is { Status: "completed" }
            ? (job.Results ?? [], 1 + polls)
            : throw new HttpRequestException(job is null ? $"Zendesk lost job {jobId}." : $"Zendesk job {jobId} ended {job.Status}.");
    }

    /// <summary>
    /// Waits for create_many jobs a crashed process left (≤ Backfill:JobWait) and marks them ended.
    /// </summary>
    /// <returns>For each conversation of a completed job: whether it made its ticket.</returns>
    private async Task<Dictionary<string, bool>> WaitForJobsAsync(IReadOnlyList<BackfillJob> jobs, BackfillPace pace, CancellationToken cancellationToken)
    {
        var decided = new Dictionary<string, bool>(StringComparer.Ordinal);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(options.Value.JobWait);
        foreach (var stored in jobs)
        {
            ZendeskJobStatus? job;
            try
            {
                (job, var polls) = await zendesk.WaitForJobAsync(stored.JobId!, bounded.Token);
                await pace.SpendAsync(polls, cancellationToken);
            }
            catch (OperationCanceledException) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new BackfillJobsUnfinishedException(stored.JobId!, options.Value.JobWait);
            }

            // Ended (or gone from Zendesk, which keeps a job's status well past its end): no more tickets come of it.
            await store.FinishedAsync(stored.Id, CancellationToken.None);
            if (job is { Status: "completed" })
            {
                var made = job.Made().Select(m => m.Index).ToHashSet();
                foreach (var (id, index) in stored.ConversationIds.Select((id, i) => (id, i)))
                {
                    decided[id] = made.Contains(index);
                }
            }
        }

        return decided;
    }

    /// <summary>Every contact of the batch in IdentityService calls of ≤ 100; the answers seed the batch's author directory.</summary>
    private async Task<BackfillFigures> ResolveContactsAsync(
        IEnumerable<string> contactIds, bool dryRun, AuthorDirectory authors, BackfillFigures figures, BackfillPace pace, CancellationToken cancellationToken)
    {
        var contacts = (await InParallelAsync([.. contactIds.Distinct(StringComparer.Ordinal)], id => intercom.GetContactAsync(id, cancellationToken)))
            .OfType<IntercomContact>().ToList();
        foreach (var chunk in contacts.Chunk(100))
        {
            var request = new ResolveRequestersRequest { DryRun = dryRun };
            request.Contacts.AddRange(chunk.Select(c => new Contact
            {
                IntercomContactId = c.Id,
                Role = c.Role ?? "user",
                Name = c.Name ?? "",
                Email = c.Email ?? "",
                ExternalId = c.ExternalId ?? "",
            }));
            var reply = await identity.ResolveRequestersAsync(request, cancellationToken: cancellationToken);
            var toCreate = reply.Contacts.Count(c => c.Method == MatchMethod.Created);
            var lookedUp = chunk.Length - reply.Contacts.Count(c => c.Method == MatchMethod.ExistingLink);
            var calls = dryRun
                ? (lookedUp > 0 ? 1 : 0) + (toCreate > 0 ? 1 + EstimatedPollsPerJob : 0)
                : reply.ZendeskCalls;
            if (!dryRun)
            {
                await pace.SpendAsync(calls, cancellationToken);
            }

            foreach (var resolved in reply.Contacts)
            {
                authors.Known(resolved.IntercomContactId, resolved.ZendeskUserId);
            }

            figures = figures with
            {
                UsersLinked = figures.UsersLinked + reply.Contacts.Count(c => c.Method == MatchMethod.ExistingLink),
                UsersToCreate = figures.UsersToCreate + toCreate,
                UsersMatched = figures.UsersMatched + reply.Contacts.Count(c => c.Method is not (MatchMethod.ExistingLink or MatchMethod.Created)),
                UserConflicts = figures.UserConflicts + reply.Contacts.Count(c => c.Conflict),
                ZendeskCalls = figures.ZendeskCalls + calls,
            };
        }

        return figures;
    }

    /// <summary>The plan live sync would make for a conversation it has never synced; closed ones may be imported closed.</summary>
    private async Task<SyncPlan> PlanAsync(IntercomConversation conversation, RoutingDecision routing, string requesterId, AuthorDirectory authors, BulkPlan plan, CancellationToken cancellationToken)
    {
        var requester = await authors.ResolveContactAsync(requesterId, cancellationToken);
        var (assigneeId, groupId) = await authors.ResolveAssigneeAsync(conversation.AdminAssigneeId, cancellationToken);
        var thread = TicketPlanner.WithoutFerrysClosingNote(TicketPlanner.Thread(conversation), statusOptions.Value.ClosingNote);
        var status = plan.ArchiveClosed && conversation.State == "closed" ? "closed" : TicketPlanner.Status(conversation, syncOptions.Value);
        return new SyncPlan(
            conversation,
            thread,
            thread,
            Total: (conversation.ConversationParts?.TotalCount ?? 0) + (conversation.Source is null ? 0 : 1),
            Gap: TicketPlanner.Missing(conversation, new HashSet<string>(StringComparer.Ordinal)),
            new Requester(requester, requesterId),
            routing.Assign(assigneeId, groupId),
            routing,
            authors,
            status,
            null);
    }

    /// <summary>
    /// Each imported ticket into the ledger as a live sync attempt records the ticket it imports (link,
    /// every thread part, the in-step status pair), fenced by the batch's hold on the conversation.
    /// </summary>
    private async Task RecordAsync(string runId, IReadOnlyList<(IntercomConversation Conversation, SyncPlan Plan, TicketImport Import)> chunk, IReadOnlyList<ZendeskJobResult> results, Dictionary<string, ClaimedJob> held)
    {
        var imported = new List<(IntercomConversation Conversation, SyncPlan Plan, TicketImport Import, long TicketId, ClaimedJob Hold)>();
        foreach (var (item, index) in chunk.Select((c, i) => (c, i)))
        {
            if (results.FirstOrDefault(r => r.Index == index) is { Success: not false, Id: { } ticketId and > 0 })
            {
                imported.Add((item.Conversation, item.Plan, item.Import, ticketId, held[item.Conversation.Id]));
                continue;
            }

            // Left to live sync: its hold is handed over now.
            LogImportFailed(logger, runId, item.Conversation.Id, results.FirstOrDefault(r => r.Index == index)?.Details ?? "no result");
            if (held.Remove(item.Conversation.Id, out var job))
            {
                await store.ReleaseAsync([job], handToLiveSync: true, CancellationToken.None);
            }
        }

        // Not cancelled with the run: once Zendesk holds the tickets, recording them is what keeps them single.
        await Parallel.ForEachAsync(imported, new ParallelOptions { MaxDegreeOfParallelism = RecordConcurrency }, async (item, _) =>
        {
            await using var tx = new AttemptTransaction(db, item.Hold);
            tx.RecordTicket(item.TicketId, item.Import.Status, item.Plan.Total, item.Plan.Gap, item.Import.Comments.Count);
            tx.RecordParts(item.TicketId, [.. item.Plan.Thread.Select(i => new LedgerPart(i.PartId, i.IsEvent ? "event" : i.IsPrivate ? "note" : "comment", i.CreatedAt, null))]);
            tx.RecordStatus(item.TicketId, item.Conversation.State ?? "open", item.Import.Status, null, []);
            tx.Command("UPDATE sync.tickets SET backfill_run = @run_id WHERE conversation_id = @conversation_id").Parameters.AddWithValue("run_id", runId);
            await tx.CommitAsync(CancellationToken.None);
        });
    }

    private static IEnumerable<string> ContactIds(IntercomConversation conversation) =>
        TicketPlanner.Thread(conversation).Select(i => i.Author).OfType<IntercomAuthor>()
            .Where(a => a.Type is "user" or "lead" or "contact" && a.Id is not null).Select(a => a.Id!);

    private async Task<IReadOnlyList<T?>> InParallelAsync<T>(IReadOnlyList<string> ids, Func<string, Task<T?>> read)
    {
        var results = new T?[ids.Count];
        await Parallel.ForAsync(0, ids.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Value.IntercomConcurrency }, async (i, _) => results[i] = await read(ids[i]));
        return results;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backfill: renewing the hold on {Held} conversation(s) failed ({Error}); next try in a third of the lease")]
    private static partial void LogRenewFailed(ILogger logger, int held, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfill {RunId} resumed: {Held} conversation(s) it held re-taken, {Imported} of them already in Zendesk (live sync adopts those); {Unanswered} of an unanswered import stay held until their lease passes")]
    private static partial void LogRetaken(ILogger logger, string runId, int held, int imported, int unanswered);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backfill {RunId}: a batch failed ({Error}); {Held} held conversation(s) go to live sync, {Unsettled} of an import not known to have ended stay held until their lease passes")]
    private static partial void LogBatchFailed(ILogger logger, string runId, int held, int unsettled, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backfill {RunId}: Zendesk did not import conversation {ConversationId} ({Details}); live sync takes it")]
    private static partial void LogImportFailed(ILogger logger, string runId, string conversationId, string details);
}
