using System.Diagnostics;
using Ferry.TicketService.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ferry.TicketService.Queue;

/// <summary>
/// Runs <see cref="QueueOptions.Workers"/> claim loops per replica. Each attempt is one trace
/// (continuing the webhook's trace when the job carries one), runs under a lease that is renewed
/// while it works (losing it cancels the attempt), and ends in one transaction with the attempt row
/// and the job's transition, fenced by the job's fencing token. On shutdown the loops stop claiming;
/// attempts in flight finish their current step, record it and hand the rest back
/// (<see cref="QueueOptions.DrainTimeout"/>).
/// </summary>
public sealed partial class JobWorker(
    JobStore store,
    IServiceScopeFactory scopes,
    NpgsqlDataSource db,
    CommitAnnouncements announcements,
    IOptions<QueueOptions> options,
    TicketTelemetry telemetry,
    TimeProvider clock,
    ILogger<JobWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wakeUp = new(0);
    private readonly Lock _waking = new();
    private readonly string _workerId = $"{Environment.MachineName}:{Environment.ProcessId}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        announcements.OnJobsQueuedHere(WakeIdleWorker);
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
            bool paused;
            try
            {
                (job, paused) = await store.ClaimAsync(workerId, settings.Lease, settings.MaxClaimsWithoutOutcome, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogClaimFailed(logger, ex);
                await Delay(settings.PollInterval * 5, stoppingToken);
                continue;
            }

            if (job is null && paused)
            {
                // Commits keep announcing jobs while the queue is paused; none may be claimed until it resumes.
                await Delay(settings.PollInterval, stoppingToken);
                continue;
            }

            if (job is null)
            {
                await _wakeUp.WaitAsync(settings.PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            WakeIdleWorker();
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
        activity?.SetTag("ferry.fence", job.Fence);
        activity?.SetTag("ferry.trigger", job.Trigger.ToDb());

        var calls = Vendors.VendorCalls.Begin();
        var started = clock.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();

        // Cancels the attempt when the lease is lost, or when the drain timeout passes after a stop.
        using var abort = new CancellationTokenSource();
        await using var drainDeadline = stoppingToken.Register(() => abort.CancelAfter(settings.DrainTimeout));
        var lease = new LeaseKeeper(store, clock, logger, settings.Lease, job, abort);
        using var renewal = new CancellationTokenSource();
        var renewing = lease.KeepAsync(renewal.Token);

        var current = new JobAttempt(job, abort.Token, stoppingToken);
        JobOutcome outcome;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetRequiredService<IJobHandler>();
            outcome = await handler.HandleAsync(current);
        }
        catch (Exception ex) when (lease.Lost && ex is LeaseLostException or OperationCanceledException)
        {
            LogLeaseLost(logger, job.JobId, job.ConversationId);
            return;
        }
        catch (LeaseLostException)
        {
            LogLeaseLost(logger, job.JobId, job.ConversationId);
            return;
        }
        catch (WorkerStoppingException)
        {
            outcome = HandBack("TicketService is stopping (deploy or scale-in); the rest of the job was handed back to the queue");
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            outcome = HandBack($"TicketService stopped and the attempt did not finish its step within the drain timeout ({settings.DrainTimeout.TotalSeconds:0} s); handed back");
        }
        catch (Exception ex)
        {
            // The handler classifies faults itself; anything that escapes it is retried like a transient fault.
            outcome = JobOutcome.Retry($"{ex.GetType().Name}: {ex.Message}", progressed: false);
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
        }

        var duration = stopwatch.ElapsedMilliseconds;
        telemetry.AttemptDuration.Record(duration);
        activity?.SetTag("ferry.vendor_calls", calls.Count);
        activity?.SetTag("ferry.vendor_writes", calls.Writes);
        activity?.SetTag("ferry.outcome", outcome.Transition.ToString());
        if (outcome.TicketId is { } ticketId)
        {
            activity?.SetTag("ferry.ticket_id", ticketId);
        }

        var delay = outcome.Transition switch
        {
            JobTransition.Retry when outcome.Progressed => settings.BackoffBase,
            JobTransition.Retry => Backoff.Delay(job.Failures + 1, settings.BackoffBase, settings.BackoffCap, Random.Shared),
            JobTransition.Defer => outcome.Delay ?? settings.BackoffBase,
            _ => TimeSpan.Zero,
        };
        if (outcome.Delay is { } atLeast && delay < atLeast)
        {
            delay = atLeast;
        }

        var attempt = new AttemptRecord(0, job.JobId, job.Attempt, job.ConversationId, outcome.TicketId, job.Trigger, outcome.Outcome, outcome.Reason,
            outcome.Direction, calls.Count, duration, started, outcome.Origin, calls.Writes);
        var state = await FinishAsync(current, outcome, attempt, delay, started);
        if (state is null)
        {
            return;
        }

        Count(job, outcome, state.Value);
        if (state == JobState.Dead)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Reason);
            LogDead(logger, job.JobId, job.ConversationId, job.Attempt, outcome.Reason);
        }
        else if (outcome.Transition == JobTransition.Retry)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Reason);
            LogAttemptFailed(logger, job.ConversationId, job.Attempt, outcome.Reason, delay.TotalSeconds);
        }
    }

    private static JobOutcome HandBack(string reason) => new(JobTransition.HandBack, AttemptOutcome.Skipped, reason);

    private void Count(ClaimedJob job, JobOutcome outcome, JobState state)
    {
        switch (outcome.Transition)
        {
            case JobTransition.Completed:
                (outcome.Outcome == AttemptOutcome.Success ? telemetry.Synced : telemetry.Skipped).Add(1);
                if (job.FirstEventAt is { } eventAt)
                {
                    telemetry.Lag.Record((clock.GetUtcNow() - eventAt).TotalSeconds);
                }

                break;
            case JobTransition.Defer:
                telemetry.Skipped.Add(1);
                break;
            case JobTransition.Retry or JobTransition.Dead:
                telemetry.Failed.Add(1);
                break;
        }

        if (state == JobState.Dead)
        {
            telemetry.Dead.Add(1);
        }
    }

    /// <summary>
    /// The writes recorded with the outcome, the job's transition and the attempt row commit together in
    /// one round trip, or not at all (lease lost).
    /// </summary>
    private async Task<JobState?> FinishAsync(JobAttempt current, JobOutcome outcome, AttemptRecord attempt, TimeSpan delay, DateTimeOffset started)
    {
        var job = current.Job;
        try
        {
            // Not the attempt's cancellation: a stopping worker still records what it did.
            await using var tx = new AttemptTransaction(db, job);
            foreach (var write in current.WithOutcome)
            {
                write(tx);
            }

            var finished = await tx.FinishAsync(
                JobStore.Finish(job, outcome.Transition, outcome.Reason, delay, outcome.Progressed, started, options.Value.RetryWindow, attempt), CancellationToken.None);
            if (finished is null)
            {
                LogLeaseLost(logger, job.JobId, job.ConversationId);
                return null;
            }

            announcements.AttemptRecorded(finished.AttemptId);
            return finished.State;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // Nothing committed: the lease expires and another attempt runs; every step is idempotent.
            LogFinishFailed(logger, job.JobId, ex);
            return null;
        }
    }

    /// <summary>
    /// Renews the lease every third of its length. A renewal that fails (Postgres briefly unreachable) is
    /// retried at the next tick; only when the job is fenced out, or the lease may have run out unrenewed,
    /// is the attempt cancelled: past that point another worker may own the job.
    /// </summary>
    private sealed class LeaseKeeper(JobStore store, TimeProvider clock, ILogger logger, TimeSpan lease, ClaimedJob job, CancellationTokenSource abort)
    {
        private volatile bool _lost;

        public bool Lost => _lost;

        /// <param name="cancellationToken">Cancelled when the attempt ends: the timer stops without an exception (one per
        /// attempt otherwise, in the process's exception counters), and a renewal still in flight is cancelled.</param>
        public async Task KeepAsync(CancellationToken cancellationToken)
        {
            var validUntil = clock.GetUtcNow() + lease;
            try
            {
                using var timer = new PeriodicTimer(lease / 3, clock);
                await using var stop = cancellationToken.Register(timer.Dispose);
                while (await timer.WaitForNextTickAsync(CancellationToken.None))
                {
                    var asked = clock.GetUtcNow();
                    try
                    {
                        if (await store.RenewLeaseAsync(job, lease, cancellationToken))
                        {
                            validUntil = asked + lease;
                            continue;
                        }

                        Lose();
                        return;
                    }
                    catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                    {
                        LogRenewFailed(logger, job.JobId, ex);
                        if (clock.GetUtcNow() + (lease / 3) >= validUntil)
                        {
                            Lose();
                            return;
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private void Lose()
        {
            _lost = true;
            abort.Cancel();
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    // This process's own commits already woke its workers (CommitAnnouncements.OnJobsQueuedHere).
                    if (e.Payload != announcements.Sender)
                    {
                        WakeIdleWorker();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {JobStore.NotifyChannel}", connection))
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
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogClaimFailed(logger, ex);
                await Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    /// <summary>
    /// Wakes one idle worker; one that finds a job wakes the next (<see cref="RunLoopAsync"/>), so a batch of
    /// new jobs spreads over every worker and a commit that queued one job costs one claim. A permit per worker
    /// per commit would pile up at hundreds of commits per second, and every worker would claim again and again
    /// (and find nothing) long after the jobs were taken.
    /// </summary>
    private void WakeIdleWorker()
    {
        lock (_waking)
        {
            if (_wakeUp.CurrentCount == 0)
            {
                _wakeUp.Release();
            }
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken) =>
        await Task.Delay(delay, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);

    public override void Dispose()
    {
        _wakeUp.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming jobs failed; retrying")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the lease of job {JobId} failed; retrying at the next tick")]
    private static partial void LogRenewFailed(ILogger logger, long jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} (conversation {ConversationId}) was taken over by another worker; this attempt stops")]
    private static partial void LogLeaseLost(ILogger logger, long jobId, string conversationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync of conversation {ConversationId} failed (attempt {Attempt}): {Reason}; next attempt in {DelaySeconds:0.#} s")]
    private static partial void LogAttemptFailed(ILogger logger, string conversationId, int attempt, string reason, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} (conversation {ConversationId}) is dead after {Attempts} attempts: {Reason}")]
    private static partial void LogDead(ILogger logger, long jobId, string conversationId, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the end of job {JobId} failed; its lease will expire and it will run again")]
    private static partial void LogFinishFailed(ILogger logger, long jobId, Exception exception);
}
