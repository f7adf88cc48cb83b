using System.Net;
using System.Text.Json;
using Ferry.TicketService.Queue;
using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Telemetry;
using Ferry.TicketService.Vendors;
using Grpc.Core;
using Npgsql;

namespace Ferry.TicketService.Sync;

/// <summary>
/// The queue's handler for sync jobs: runs <see cref="ConversationSync"/> and turns its result, or the
/// fault that stopped it, into the job's transition (<see cref="SyncFaults"/>).
/// </summary>
public sealed class SyncJobHandler(ConversationSync conversations, NpgsqlDataSource db, TicketTelemetry telemetry) : IJobHandler
{
    public async Task<JobOutcome> HandleAsync(JobAttempt attempt)
    {
        var sync = new SyncAttempt(attempt, db);
        try
        {
            var result = await conversations.SyncAsync(sync);
            return new JobOutcome(JobTransition.Completed, result.Outcome, result.Reason, result.TicketId, Progressed: sync.Progressed,
                Direction: result.Direction, Origin: result.Origin);
        }
        catch (Exception ex) when (ex is not (LeaseLostException or WorkerStoppingException) && !attempt.Cancellation.IsCancellationRequested)
        {
            var fault = SyncFaults.Classify(ex);
            if (fault.Kind == FaultKind.RateLimited)
            {
                telemetry.RateLimited.Add(1, new KeyValuePair<string, object?>("vendor", ((VendorRateLimitedException)ex).Vendor));
            }

            var outcome = fault.Kind switch
            {
                FaultKind.RateLimited => JobOutcome.Defer(fault.Reason, fault.RetryAfter, sync.Progressed),
                FaultKind.Permanent => JobOutcome.Dead(fault.Reason, sync.Progressed),
                _ => JobOutcome.Retry(fault.Reason, sync.Progressed),
            };
            return outcome with
            {
                Direction = sync.Direction,
                Origin = sync.Direction == AttemptLog.ZendeskToIntercom ? StatusOrigin.Zendesk : StatusOrigin.Intercom,
            };
        }
    }
}

public enum FaultKind
{
    /// <summary>Retried with backoff within the retry window.</summary>
    Transient,

    /// <summary>The vendor asked to wait (429): deferred by its Retry-After, never counted.</summary>
    RateLimited,

    /// <summary>Retrying cannot help: dead at once with the reason.</summary>
    Permanent,
}

public sealed record Fault(FaultKind Kind, string Reason, TimeSpan RetryAfter = default);

/// <summary>Which faults are worth retrying. Pure: the worker's retry policy follows from it.</summary>
public static class SyncFaults
{
    public static Fault Classify(Exception failure) => failure switch
    {
        VendorRateLimitedException limited => new Fault(FaultKind.RateLimited, limited.Message, limited.RetryAfter),
        VendorException vendor => new Fault(IsPermanent(vendor.Status) ? FaultKind.Permanent : FaultKind.Transient, vendor.Message),
        AttachmentsNotCopiedException files => new Fault(FaultKind.Transient, files.Message),
        PermanentSyncException permanent => new Fault(FaultKind.Permanent, permanent.Message),
        RpcException rpc => new Fault(
            rpc.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.PermissionDenied or StatusCode.OutOfRange ? FaultKind.Permanent : FaultKind.Transient,
            $"{rpc.StatusCode} from a Ferry service: {rpc.Status.Detail}"),
        HttpRequestException http => new Fault(FaultKind.Transient, $"Vendor unreachable or answer cut: {http.Message}"),
        IOException io => new Fault(FaultKind.Transient, $"Vendor answer cut: {io.Message}"),
        JsonException json => new Fault(FaultKind.Transient, $"Vendor answer unreadable (cut mid-body?): {json.Message}"),
        TaskCanceledException or TimeoutException => new Fault(FaultKind.Transient, "Timed out"),
        NpgsqlException db => new Fault(FaultKind.Transient, $"Postgres: {db.Message}"),
        _ => new Fault(FaultKind.Transient, $"{failure.GetType().Name}: {failure.Message}"),
    };

    /// <summary>
    /// A request the vendor refuses for good (validation, a missing record): 4xx other than 401/403
    /// (a credential being rotated), 408, 409 (a conflict a re-read resolves) and 429.
    /// </summary>
    public static bool IsPermanent(HttpStatusCode status) =>
        (int)status is >= 400 and < 500
        && status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.RequestTimeout or HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests);
}
