using System.Diagnostics;
using System.Globalization;
using Ferry.ServiceDefaults.Grpc;
using Ferry.ServiceDefaults.Vendors;
using Ferry.TicketService.Attempts;
using Ferry.TicketService.Operations;
using Ferry.TicketService.Queue;
using Ferry.TicketService.Reconcile;
using Ferry.TicketService.Sync;
using Ferry.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Ferry.TicketService.Api;

/// <summary>The public Sync API (reached through the Gateway). Thin: validation and mapping only.</summary>
public sealed partial class SyncApi(
    JobStore queue, AttemptLog attempts, AttemptFeed feed, SyncStore tickets, IntercomClient intercom, Backfill backfill, OperatorStatus status, Reconciler reconciler,
    Migration.BulkBackfill bulk, Migration.PhaseReporter phase)
    : V1.Sync.SyncBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;
    private const int MaxDismissalNote = 500;

    public override async Task<RequestSyncReply> RequestSync(RequestSyncRequest request, ServerCallContext context)
    {
        var conversationId = ValidConversationId(request.ConversationId);
        if (await intercom.GetConversationAsync(conversationId, context.CancellationToken) is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Intercom has no conversation '{conversationId}' (deleted, or a different workspace)."));
        }

        var job = await queue.RequestAsync(conversationId, SyncTrigger.Api, Activity.Current?.Id, context.CancellationToken);
        return new RequestSyncReply { JobId = job.JobId, Coalesced = job.Coalesced };
    }

    public override async Task<SyncState> GetSync(GetSyncRequest request, ServerCallContext context)
    {
        var conversationId = ValidConversationId(request.ConversationId);
        // The last attempt before the job: an attempt's row commits with its job's transition, so the job read after it
        // is at least as new (read the other way round, a job could show running beside the outcome that ended it).
        var link = await tickets.GetAsync(conversationId, context.CancellationToken);
        var recent = await attempts.ListAsync(new AttemptFilter(conversationId, false, null, 1, null), context.CancellationToken);
        var job = await queue.GetLatestJobAsync(conversationId, context.CancellationToken);
        if (link is null && job is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Ferry has no sync for conversation '{conversationId}'; RequestSync queues one."));
        }

        var last = recent.Count > 0 ? recent[0] : null;
        var state = new SyncState
        {
            ConversationId = conversationId,
            TicketId = link?.TicketId ?? 0,
            JobId = job?.JobId ?? 0,
            JobState = job is null ? V1.JobState.Unspecified : ToProto(job.State),
            SyncedParts = link?.SyncedParts ?? 0,
            LastAttempt = last is null ? null : ToProto(last),
            Dismissed = job?.Dismissal is { } dismissal ? $"{dismissal.By}: {dismissal.Note}" : "",
        };
        if (link is not null)
        {
            state.LastSyncedAt = Timestamp.FromDateTimeOffset(link.LastSyncedAt);
        }

        return state;
    }

    public override async Task<ListAttemptsReply> ListAttempts(ListAttemptsRequest request, ServerCallContext context)
    {
        if (request.PageSize < 0 || request.PageSize > MaxPageSize)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"page_size must be between 1 and {MaxPageSize} (0 means {DefaultPageSize})."));
        }

        long? before = null;
        if (!string.IsNullOrEmpty(request.PageToken))
        {
            if (!long.TryParse(request.PageToken, NumberStyles.None, CultureInfo.InvariantCulture, out var token))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not one this API returned."));
            }

            before = token;
        }

        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var filter = new AttemptFilter(
            string.IsNullOrWhiteSpace(request.ConversationId) ? null : ValidConversationId(request.ConversationId),
            request.FailedOnly,
            request.Since?.ToDateTimeOffset(),
            pageSize,
            before);
        var page = await attempts.ListAsync(filter, context.CancellationToken);
        var reply = new ListAttemptsReply
        {
            NextPageToken = page.Count == pageSize ? page[^1].AttemptId.ToString(CultureInfo.InvariantCulture) : "",
        };
        reply.Attempts.AddRange(page.Select(ToProto));
        return reply;
    }

    public override async Task<RetryReply> Retry(RetryRequest request, ServerCallContext context)
    {
        string conversationId;
        switch (request.TargetCase)
        {
            case RetryRequest.TargetOneofCase.JobId:
                var job = await queue.GetJobAsync(request.JobId, context.CancellationToken)
                    ?? throw new RpcException(new Status(StatusCode.NotFound, $"No job {request.JobId}."));
                conversationId = job.ConversationId;
                break;
            case RetryRequest.TargetOneofCase.ConversationId:
                conversationId = ValidConversationId(request.ConversationId);
                if (await queue.GetLatestJobAsync(conversationId, context.CancellationToken) is null
                    && await tickets.GetAsync(conversationId, context.CancellationToken) is null)
                {
                    throw new RpcException(new Status(StatusCode.NotFound, $"Ferry has never synced conversation '{conversationId}'; use RequestSync."));
                }

                break;
            case RetryRequest.TargetOneofCase.AllDead when request.AllDead:
                return await RetryDeadAsync(null, context.CancellationToken);
            case RetryRequest.TargetOneofCase.DeadReason when !string.IsNullOrWhiteSpace(request.DeadReason):
                return await RetryDeadAsync(request.DeadReason, context.CancellationToken);
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Give job_id, conversation_id, all_dead or dead_reason."));
        }

        // An active job absorbs the retry; a finished or dead one is followed by a fresh job.
        var queued = await queue.RequestAsync(conversationId, SyncTrigger.Retry, Activity.Current?.Id, context.CancellationToken);
        return new RetryReply { JobId = queued.JobId, Requeued = queued.Coalesced ? 0 : 1 };
    }

    private async Task<RetryReply> RetryDeadAsync(string? reason, CancellationToken cancellationToken)
    {
        var requeued = await queue.RetryDeadAsync(reason, Activity.Current?.Id, cancellationToken);
        return new RetryReply { JobId = requeued.Count == 0 ? 0 : requeued[^1].JobId, Requeued = requeued.Count };
    }

    public override async Task<ListDeadJobsReply> ListDeadJobs(ListDeadJobsRequest request, ServerCallContext context)
    {
        if (request.PageSize < 0 || request.PageSize > MaxPageSize)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"page_size must be between 1 and {MaxPageSize} (0 means {DefaultPageSize})."));
        }

        var dead = await queue.ListDeadAsync(request.PageSize == 0 ? DefaultPageSize : request.PageSize, context.CancellationToken, request.Dismissed);
        var reply = new ListDeadJobsReply();
        reply.Jobs.AddRange(dead.Select(ToProto));
        return reply;
    }

    public override async Task<DismissReply> Dismiss(DismissRequest request, ServerCallContext context)
    {
        var note = request.Note.Trim();
        if (note.Length is 0 or > MaxDismissalNote)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"note is required (at most {MaxDismissalNote} characters): say why nothing is to be done."));
        }

        // The gateway names the API client that called; a call from inside the cluster (the Aspire dashboard) has none.
        var by = context.RequestHeaders.GetValue(ApiClients.Header) ?? "internal";
        var (jobId, conversationId, reason) = request.TargetCase switch
        {
            DismissRequest.TargetOneofCase.JobId => (request.JobId, null, null),
            DismissRequest.TargetOneofCase.ConversationId => ((long?)null, ValidConversationId(request.ConversationId), (string?)null),
            DismissRequest.TargetOneofCase.DeadReason when !string.IsNullOrWhiteSpace(request.DeadReason) => (null, null, request.DeadReason),
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "Give job_id, conversation_id or dead_reason.")),
        };

        var dismissed = await queue.DismissDeadAsync(jobId, conversationId, reason, by, note, context.CancellationToken);
        if (dismissed.Count == 0 && reason is null)
        {
            throw await NothingToDismissAsync(jobId, conversationId, context.CancellationToken);
        }

        return new DismissReply { Dismissed = dismissed.Count };
    }

    /// <summary>Why a job or conversation named on its own had no dead job to dismiss: unknown, not dead, dismissed already, or superseded.</summary>
    private async Task<RpcException> NothingToDismissAsync(long? jobId, string? conversationId, CancellationToken cancellationToken)
    {
        var job = jobId is { } id ? await queue.GetJobAsync(id, cancellationToken) : await queue.GetLatestJobAsync(conversationId!, cancellationToken);
        if (job is null)
        {
            return new RpcException(new Status(StatusCode.NotFound, jobId is { } number ? $"No job {number}." : $"Ferry has no job for conversation '{conversationId}'."));
        }

        var why = job switch
        {
            { Dismissal: { } dismissal } => $"job {job.JobId} was dismissed already, by {dismissal.By}",
            { State: not Data.JobState.Dead } => $"job {job.JobId} is {job.State.ToString().ToLowerInvariant()}, not dead",
            _ => $"job {job.JobId} is not its conversation's latest job: a newer one has run since",
        };
        return new RpcException(new Status(StatusCode.FailedPrecondition, $"Nothing to dismiss: {why}. Only a dead job that waits for an operator can be dismissed."));
    }

    public override async Task<SyncStatus> GetStatus(GetStatusRequest request, ServerCallContext context)
    {
        var report = await status.ReadAsync(context.CancellationToken);
        var (figures, health) = (report.Figures, report.Health);
        var reply = new SyncStatus
        {
            Paused = figures.Paused,
            PausedReason = figures.PausedReason,
            QueueDepth = health.Depth,
            OldestJobAgeSeconds = health.OldestAgeSeconds,
            LagP50Seconds = figures.LagP50Seconds,
            LagP95Seconds = figures.LagP95Seconds,
            SyncsPerMinute = { figures.SyncsPerMinute },
            FailuresPerMinute = { figures.FailuresPerMinute },
            LatestFailures = { report.LatestFailures.Select(ToProto) },
            DeadJobs = { report.DeadJobs.Select(ToProto) },
            RecentlyDismissed = { report.RecentlyDismissed.Select(ToProto) },
            DeadJobsTotal = (int)health.DeadJobs,
            LatestFindings = { report.LatestFindings.Select(ToFinding) },
            Vendors = { report.Vendors.Select(ToProto) },
            LastReconcileAt = ToProto(health.LastReconcileAt),
            LastIntercomWebhookAt = ToProto(health.LastIntercomWebhookAt),
            LastZendeskWebhookAt = ToProto(health.LastZendeskWebhookAt),
        };
        return reply;
    }

    public override async Task Backfill(BackfillRequest request, IServerStreamWriter<BackfillProgress> responseStream, ServerCallContext context)
    {
        if (request.UpdatedSince is not null && request.UpdatedBefore is not null && request.UpdatedSince.ToDateTimeOffset() >= request.UpdatedBefore.ToDateTimeOffset())
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "updated_since must be before updated_before."));
        }

        if (request.Limit < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "limit must be positive (0: no limit)."));
        }

        if (request.Bulk)
        {
            await BulkBackfillStream.WriteAsync(bulk, request, responseStream, context);
            return;
        }

        var plan = new BackfillPlan(
            request.UpdatedSince?.ToDateTimeOffset(),
            request.UpdatedBefore?.ToDateTimeOffset(),
            request.DryRun,
            string.IsNullOrEmpty(request.ResumeToken) ? null : request.ResumeToken,
            request.Limit);
        await foreach (var progress in backfill.RunAsync(plan, context.CancellationToken))
        {
            await responseStream.WriteAsync(new BackfillProgress
            {
                Seen = progress.Seen,
                Queued = progress.Queued,
                Skipped = progress.Skipped,
                ResumeToken = progress.ResumeToken ?? "",
                Done = progress.Done,
                LastConversationId = progress.LastConversationId ?? "",
            }, context.CancellationToken);
        }
    }

    public override async Task WatchSyncs(WatchSyncsRequest request, IServerStreamWriter<V1.Attempt> responseStream, ServerCallContext context)
    {
        var conversationId = string.IsNullOrWhiteSpace(request.ConversationId) ? null : ValidConversationId(request.ConversationId);
        var reader = feed.Subscribe(context.CancellationToken);
        try
        {
            await foreach (var attempt in reader.ReadAllAsync(context.CancellationToken))
            {
                if ((conversationId is null || attempt.ConversationId == conversationId)
                    && (!request.FailedOnly || attempt.Outcome == AttemptOutcome.Failure))
                {
                    await responseStream.WriteAsync(ToProto(attempt), context.CancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The watcher hung up.
        }
        catch (WatcherTooSlowException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
    }

    public override async Task<ReconcileReply> Reconcile(ReconcileRequest request, ServerCallContext context)
    {
        // On demand, a pass waits for one another replica is running, so it always runs and reports.
        var report = await reconciler.RunAsync(scan: true, request.Deep, request.DryRun, onDemand: true, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.Internal, "The reconciler ran no pass."));
        var reply = new ReconcileReply
        {
            ConversationsChecked = report.ConversationsChecked,
            VendorCalls = report.VendorCalls,
            Watermark = report.Watermark is { } w ? Timestamp.FromDateTimeOffset(w) : null,
            DryRun = report.DryRun,
        };
        reply.Findings.AddRange(report.Findings.Select(ToProto));
        return reply;
    }

    public override async Task<SetPausedReply> SetPaused(SetPausedRequest request, ServerCallContext context)
    {
        if (request.Reason.Length > 500)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "reason must be at most 500 characters."));
        }

        await queue.SetPausedAsync(request.Paused, request.Reason, context.CancellationToken);
        return new SetPausedReply { Paused = request.Paused };
    }

    /// <summary>The trimmed id, or InvalidArgument (shared with the inbox's Enqueue).</summary>
    internal static string ValidConversationId(string value)
    {
        var trimmed = value.Trim();
        return VendorEvents.IsConversationId(trimmed)
            ? trimmed
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"conversation_id must be an Intercom conversation id ({VendorEvents.ConversationIdRule})."));
    }

    internal static V1.Attempt ToProto(AttemptRecord a) => new()
    {
        AttemptId = a.AttemptId,
        JobId = a.JobId ?? 0,
        AttemptNumber = a.AttemptNumber,
        ConversationId = a.ConversationId,
        TicketId = a.TicketId ?? 0,
        Trigger = a.Trigger switch
        {
            SyncTrigger.Webhook => Trigger.Webhook,
            SyncTrigger.Api => Trigger.Api,
            SyncTrigger.Backfill => Trigger.Backfill,
            SyncTrigger.Retry => Trigger.Retry,
            SyncTrigger.Reconcile => Trigger.Reconcile,
            _ => Trigger.Unspecified,
        },
        Outcome = a.Outcome switch
        {
            AttemptOutcome.Success => Outcome.Success,
            AttemptOutcome.Failure => Outcome.Failure,
            AttemptOutcome.Skipped => Outcome.Skipped,
            AttemptOutcome.Finding => Outcome.Finding,
            _ => Outcome.Unspecified,
        },
        Reason = a.Reason,
        VendorCalls = a.VendorCalls,
        DurationMs = a.DurationMs,
        StartedAt = Timestamp.FromDateTimeOffset(a.StartedAt),
        Direction = a.Direction,
        Origin = a.Origin,
        VendorWrites = a.VendorWrites,
    };

    private static V1.DeadJob ToProto(Data.DeadJob d) => new()
    {
        JobId = d.JobId,
        ConversationId = d.ConversationId,
        TicketId = d.TicketId ?? 0,
        Attempts = d.Attempts,
        Reason = d.Reason,
        DiedAt = Timestamp.FromDateTimeOffset(d.DiedAt),
        CreatedAt = Timestamp.FromDateTimeOffset(d.CreatedAt),
        DismissedAt = d.Dismissal is { } dismissal ? Timestamp.FromDateTimeOffset(dismissal.At) : null,
        DismissedBy = d.Dismissal?.By ?? "",
        DismissalNote = d.Dismissal?.Note ?? "",
    };

    /// <summary>A finding is logged as an attempt whose reason is "&lt;kind&gt;: &lt;detail&gt;".</summary>
    private static Finding ToFinding(AttemptRecord a)
    {
        var separator = a.Reason.IndexOf(": ", StringComparison.Ordinal);
        return ToProto(new ReconcileFinding(
            separator < 0 ? a.Reason : a.Reason[..separator], a.ConversationId, a.TicketId,
            separator < 0 ? "" : a.Reason[(separator + 2)..], a.JobId ?? 0, a.StartedAt));
    }

    private static Finding ToProto(ReconcileFinding f) => new()
    {
        Kind = f.Kind,
        ConversationId = f.ConversationId,
        TicketId = f.TicketId ?? 0,
        Detail = f.Detail,
        JobId = f.JobId,
        FoundAt = Timestamp.FromDateTimeOffset(f.FoundAt),
    };

    private static V1.VendorHealth ToProto(VendorHealthSnapshot v) => new()
    {
        Vendor = v.Vendor,
        LastSuccessAt = ToProto(v.LastSuccessAt),
        LastFailureAt = ToProto(v.LastFailureAt),
        LastFailureStatus = v.LastFailureStatus,
        BudgetPerMinute = v.BudgetPerMinute,
        UsedLastMinute = v.UsedLastMinute,
        PausedUntil = ToProto(v.PausedUntil),
        AuthFailuresLastHour = v.AuthFailuresLastHour,
    };

    private static Timestamp? ToProto(DateTimeOffset? at) => at is { } value ? Timestamp.FromDateTimeOffset(value) : null;

    private static V1.JobState ToProto(Data.JobState state) => state switch
    {
        Data.JobState.Pending => V1.JobState.Pending,
        Data.JobState.Running => V1.JobState.Running,
        Data.JobState.Done => V1.JobState.Done,
        Data.JobState.Dead => V1.JobState.Dead,
        _ => V1.JobState.Unspecified,
    };
}
