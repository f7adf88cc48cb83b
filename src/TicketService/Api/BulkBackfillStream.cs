using Ferry.TicketService.Migration;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.TicketService.Api;

/// <summary>The Backfill RPC with bulk set: maps the request to a <see cref="BulkPlan"/> and each step to a BackfillProgress.</summary>
public static class BulkBackfillStream
{
    private static readonly HashSet<string> States = new(StringComparer.Ordinal) { "open", "closed", "snoozed" };

    public static async Task WriteAsync(BulkBackfill bulk, BackfillRequest request, IServerStreamWriter<BackfillProgress> responseStream, ServerCallContext context)
    {
        if (request.States.FirstOrDefault(s => !States.Contains(s)) is { } unknown)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Unknown state '{unknown}' (open, closed or snoozed)."));
        }

        var resume = string.IsNullOrEmpty(request.ResumeToken) ? null : request.ResumeToken;
        if (resume is not null && request.DryRun)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A dry run stores nothing, so there is nothing to resume; drop resume_token or dry_run."));
        }

        var plan = new BulkPlan(request.UpdatedSince?.ToDateTimeOffset(), request.UpdatedBefore?.ToDateTimeOffset(), [.. request.States], request.ArchiveClosed, request.DryRun, request.Limit);
        try
        {
            await foreach (var step in bulk.RunAsync(plan, resume, context.CancellationToken))
            {
                await responseStream.WriteAsync(ToProto(step), context.CancellationToken);
            }
        }
        catch (BackfillRunNotFoundException missing)
        {
            throw new RpcException(new Status(StatusCode.NotFound, missing.Message));
        }
        catch (BackfillJobsUnfinishedException unfinished)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, unfinished.Message));
        }
    }

    private static BackfillProgress ToProto(BulkProgress step)
    {
        var f = step.Figures;
        return new BackfillProgress
        {
            Seen = f.Seen,
            Queued = f.Tickets,
            Skipped = f.AlreadySynced + f.LeftToLiveSync + f.SkippedByRules + f.NoRequester,
            ResumeToken = step.RunId ?? "",
            Done = step.Done,
            LastConversationId = step.LastConversationId ?? "",
            Bulk = new BulkFigures
            {
                Total = f.Total,
                AlreadySynced = f.AlreadySynced,
                LeftToLiveSync = f.LeftToLiveSync,
                SkippedByRules = f.SkippedByRules,
                NoRequester = f.NoRequester,
                Tickets = f.Tickets,
                Comments = f.Comments,
                UsersLinked = f.UsersLinked,
                UsersMatched = f.UsersMatched,
                UsersToCreate = f.UsersToCreate,
                UserConflicts = f.UserConflicts,
                AttachmentFiles = f.AttachmentFiles,
                AttachmentBytes = f.AttachmentBytes,
                ZendeskCalls = f.ZendeskCalls,
                EstimatedSeconds = step.EstimatedDuration.TotalSeconds,
            },
        };
    }
}
