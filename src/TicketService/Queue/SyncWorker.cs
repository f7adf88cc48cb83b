using System.Diagnostics;
using Ferry.TicketService.Attempts;
using Ferry.TicketService.Sync;
using Ferry.TicketService.Telemetry;
using Ferry.TicketService.Vendors;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ferry.TicketService.Queue;

/// <summary>
/// Runs <see cref="QueueOptions.Workers"/> claim loops per replica. Each attempt is one trace
/// (continuing the webhook's trace when the job carries one), one attempt row, and ends in one
/// transaction with the job's completion or its retry/dead transition.
/// </summary>
public sealed partial class SyncWorker(
    JobQueue queue,
    IServiceScopeFactory scopes,
    NpgsqlDataSource db,
    IOptions<QueueOptions> options,
    TicketTelemetry telemetry,
    TimeProvider clock,
    ILogger<SyncWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wakeUp = new(0);
    private readonly string _workerId = $"{Environment.MachineName}:{Environment.ProcessId}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = Enumerable.Range(0, options.Value.Workers).Select(i => RunLoopAsync($"{_workerId}:{i}", stoppingToken)).ToList();
        loops.Add(ListenAsync(stoppingToken));
        return Task.WhenAll(loops);
    }

    private async Task RunLoopAsync(string workerId, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            ClaimedJob? job;
            try
            {
                job = await queue.ClaimAsync(workerId, settings.Lease, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException ex)
            {
                LogClaimFailed(logger, ex);
                await Delay(settings.PollInterval * 5, stoppingToken);
                continue;
            }

            if (job is null)
            {
                await _wakeUp.WaitAsync(settings.PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            await ProcessAsync(job, stoppingToken);
        }
    }

    private async Task ProcessAsync(ClaimedJob job, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        ActivityContext.TryParse(job.TraceParent, null, out var parent);
        using var activity = TicketTelemetry.Source.StartActivity("sync conversation", ActivityKind.Consumer, parent);
        activity?.SetTag("ferry.conversation_id", job.ConversationId);
        activity?.SetTag("ferry.job_id", job.JobId);
        activity?.SetTag("ferry.attempt", job.Attempt);
        activity?.SetTag("ferry.trigger", job.Trigger.ToDb());

        var calls = VendorCalls.Begin();
        var started = clock.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        using var leaseKeeper = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewing = KeepLeaseAsync(job, leaseKeeper.Token);

        SyncResult? result = null;
        Exception? failure = null;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            result = await scope.ServiceProvider.GetRequiredService<ConversationSync>().SyncAsync(job, stoppingToken);
        }
        catch (LeaseLostException)
        {
            LogLeaseLost(logger, job.JobId, job.ConversationId);
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            failure = ex;
        }
        catch (OperationCanceledException)
        {
            // Shutting down: hand the job back at once rather than waiting for the lease to expire.
            await FinishAsync(job, async tx => await JobQueue.FailAsync(tx.Connection!, tx, job, "Worker stopped during the attempt", TimeSpan.Zero, deferral: true, settings.MaxAttempts, CancellationToken.None) is not null, null, CancellationToken.None);
            return;
        }
        finally
        {
            await leaseKeeper.CancelAsync();
            await renewing;
        }

        var duration = stopwatch.ElapsedMilliseconds;
        telemetry.AttemptDuration.Record(duration);
        activity?.SetTag("ferry.vendor_calls", calls.Count);
        activity?.SetTag("ferry.vendor_writes", calls.Writes);

        if (result is not null)
        {
            activity?.SetTag("ferry.ticket_id", result.TicketId);
            activity?.SetTag("ferry.outcome", result.Outcome.ToString());
            var attempt = Attempt(job, result.Outcome, result.TicketId, result.Reason, calls, duration, started) with { Direction = result.Direction, Origin = result.Origin };
            var completed = await FinishAsync(job, tx => CompleteAsync(tx, job, result), attempt, stoppingToken);
            if (completed)
            {
                (result.Outcome == AttemptOutcome.Success ? telemetry.Synced : telemetry.Skipped).Add(1);
                if (job.FirstEventAt is { } eventAt)
                {
                    telemetry.Lag.Record((clock.GetUtcNow() - eventAt).TotalSeconds);
                }
            }

            return;
        }

        if (failure is VendorRateLimitedException limited)
        {
            telemetry.RateLimited.Add(1, new KeyValuePair<string, object?>("vendor", limited.Vendor));
            telemetry.Skipped.Add(1);
            var attempt = Attempt(job, AttemptOutcome.Skipped, null, $"Deferred: {limited.Message}", calls, duration, started);
            await FinishAsync(job, async tx => await JobQueue.FailAsync(tx.Connection!, tx, job, limited.Message, limited.RetryAfter, deferral: true, settings.MaxAttempts, stoppingToken) is not null, attempt, stoppingToken);
            return;
        }

        ArgumentNullException.ThrowIfNull(failure);
        activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
        telemetry.Failed.Add(1);
        var reason = Describe(failure);
        var delay = Backoff.Delay(job.Attempt, settings.BackoffBase, settings.BackoffCap, Random.Shared);
        var failed = Attempt(job, AttemptOutcome.Failure, null, reason, calls, duration, started);
        await FinishAsync(job, async tx =>
        {
            var state = await JobQueue.FailAsync(tx.Connection!, tx, job, reason, delay, deferral: false, settings.MaxAttempts, stoppingToken);
            if (state == JobState.Dead)
            {
                LogDead(logger, job.JobId, job.ConversationId, job.Attempt);
            }

            return state is not null;
        }, failed, stoppingToken);
        LogAttemptFailed(logger, job.ConversationId, job.Attempt, failure);
    }

    private static AttemptRecord Attempt(ClaimedJob job, AttemptOutcome outcome, long? ticketId, string reason, VendorCalls calls, long durationMs, DateTimeOffset started) =>
        new(0, job.JobId, job.Attempt, job.ConversationId, ticketId, job.Trigger, outcome, reason, AttemptLog.IntercomToZendesk, calls.Count, durationMs, started, VendorWrites: calls.Writes);

    private static async Task<bool> CompleteAsync(NpgsqlTransaction tx, ClaimedJob job, SyncResult result)
    {
        if (result.TicketId is { } ticketId)
        {
            await using var touch = new NpgsqlCommand(
                "UPDATE sync.tickets SET last_synced_at = now(), status = COALESCE(@status, status) WHERE conversation_id = @conversation_id AND ticket_id = @ticket_id", tx.Connection, tx);
            touch.Parameters.AddWithValue("status", NpgsqlTypes.NpgsqlDbType.Text, (object?)result.Status ?? DBNull.Value);
            touch.Parameters.AddWithValue("conversation_id", job.ConversationId);
            touch.Parameters.AddWithValue("ticket_id", ticketId);
            await touch.ExecuteNonQueryAsync();
        }

        return await JobQueue.CompleteAsync(tx.Connection!, tx, job, CancellationToken.None);
    }

    /// <summary>The attempt row and the job transition commit together, or not at all (lease lost).</summary>
    private async Task<bool> FinishAsync(ClaimedJob job, Func<NpgsqlTransaction, Task<bool>> transition, AttemptRecord? attempt, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            if (!await transition(tx))
            {
                await tx.RollbackAsync(cancellationToken);
                LogLeaseLost(logger, job.JobId, job.ConversationId);
                return false;
            }

            if (attempt is not null)
            {
                await AttemptLog.RecordAsync(connection, tx, attempt, cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            // Nothing committed: the lease expires and another attempt runs; every step is idempotent.
            LogFinishFailed(logger, job.JobId, ex);
            return false;
        }
    }

    private async Task KeepLeaseAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var lease = options.Value.Lease;
        try
        {
            using var timer = new PeriodicTimer(lease / 3);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (!await queue.RenewLeaseAsync(job, lease, cancellationToken))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException ex)
        {
            LogClaimFailed(logger, ex);
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => _wakeUp.Release(options.Value.Workers);
                await using (var listen = new NpgsqlCommand($"LISTEN {JobQueue.NotifyChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException ex)
            {
                LogClaimFailed(logger, ex);
                await Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private static string Describe(Exception failure) => failure switch
    {
        VendorException vendor => vendor.Message,
        Grpc.Core.RpcException rpc => $"{rpc.StatusCode} from a Ferry service: {rpc.Status.Detail}",
        HttpRequestException http => $"Vendor unreachable: {http.Message}",
        TaskCanceledException => "Timed out",
        _ => $"{failure.GetType().Name}: {failure.Message}",
    };

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken) =>
        await Task.Delay(delay, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);

    public override void Dispose()
    {
        _wakeUp.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming jobs failed; retrying")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} (conversation {ConversationId}) was taken over by another worker; this attempt stops")]
    private static partial void LogLeaseLost(ILogger logger, long jobId, string conversationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync of conversation {ConversationId} failed (attempt {Attempt})")]
    private static partial void LogAttemptFailed(ILogger logger, string conversationId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} (conversation {ConversationId}) is dead after {Attempts} attempts")]
    private static partial void LogDead(ILogger logger, long jobId, string conversationId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the end of job {JobId} failed; its lease will expire and it will run again")]
    private static partial void LogFinishFailed(ILogger logger, long jobId, Exception exception);
}
