using System.Diagnostics;
using Ferry.Testing;
using Ferry.TicketService.Data;
using Ferry.TicketService.Queue;
using Ferry.TicketService.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ferry.TicketService.Tests.Queue;

/// <summary>The worker's lease, drain and hand-back behaviour, with a handler the test scripts, against real Postgres.</summary>
public sealed class JobWorkerTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly SyncDatabase _db = new(postgres);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _db.InitializeAsync();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task Losing_the_lease_cancels_the_attempt_and_it_writes_nothing()
    {
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        await using var worker = await StartAsync(async attempt =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, attempt.Cancellation);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }

            return Done();
        });

        await started.Task.WaitAsync(Patience, Ct);
        await _db.ScalarAsync("UPDATE sync.jobs SET fence = fence + 1, lease_owner = 'another worker' RETURNING 1"); // taken over

        await cancelled.Task.WaitAsync(Patience, Ct);
        await worker.StopAsync();
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs WHERE state = 'running' AND lease_owner = 'another worker'"));
    }

    [Fact]
    public async Task Lease_renewal_survives_a_transient_Postgres_error()
    {
        var started = new TaskCompletionSource();
        await using var worker = await StartAsync(async attempt =>
        {
            started.TrySetResult();
            await Task.Delay(Lease * 1.8, attempt.Cancellation);
            return Done();
        });
        await started.Task.WaitAsync(Patience, Ct);

        // Every connection of the worker's pool is cut (a failover, a restarted pooler): the next renewal fails.
        await using var admin = NpgsqlDataSource.Create(_db.ConnectionString);
        await using (var kill = admin.CreateCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        {
            await kill.ExecuteScalarAsync(Ct);
        }

        // Past the first lease: had renewal stopped, another worker could take the job over now.
        await Task.Delay(Lease * 1.3, Ct);
        var store = new JobStore(admin, TimeProvider.System);
        Assert.Null((await store.ClaimAsync("another worker", Lease, 5, Ct)).Job);

        await WaitForAsync(admin, "SELECT count(*) FROM sync.jobs WHERE state = 'done'");
        await worker.StopAsync();
        await using var count = admin.CreateCommand("SELECT count(*) FROM sync.attempts WHERE outcome = 'success'");
        Assert.Equal(1L, await count.ExecuteScalarAsync(Ct));
    }

    private static async Task WaitForAsync(NpgsqlDataSource db, string countSql)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Patience);
        await using var command = db.CreateCommand(countSql);
        while ((long)(await command.ExecuteScalarAsync(timeout.Token))! == 0)
        {
            await Task.Delay(100, timeout.Token);
        }
    }


    [Fact]
    public async Task Stopping_lets_the_vendor_call_in_flight_finish_then_hands_the_rest_back()
    {
        var calling = new TaskCompletionSource();
        var callFinished = false;
        await using var worker = await StartAsync(async attempt =>
        {
            attempt.ThrowIfStopping();
            calling.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(1.5), attempt.Cancellation); // the vendor call in flight
            callFinished = true;
            attempt.ThrowIfStopping(); // before the next write
            return Done();
        }, drainTimeout: TimeSpan.FromSeconds(10));
        await calling.Task.WaitAsync(Patience, Ct);

        await worker.StopAsync();

        Assert.True(callFinished);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs WHERE state = 'pending' AND failures = 0 AND claims_without_outcome = 0 AND run_after <= now()"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts WHERE outcome = 'skipped' AND reason LIKE '%handed back%'"));
    }

    [Fact]
    public async Task An_attempt_that_outlives_the_drain_timeout_is_cut_and_handed_back()
    {
        var started = new TaskCompletionSource();
        await using var worker = await StartAsync(async attempt =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, attempt.Cancellation);
            return Done();
        }, drainTimeout: TimeSpan.FromMilliseconds(500));
        await started.Task.WaitAsync(Patience, Ct);

        await worker.StopAsync();

        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs WHERE state = 'pending' AND failures = 0"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.attempts WHERE outcome = 'skipped' AND reason LIKE '%drain timeout%'"));
    }

    [Fact]
    public async Task A_stream_of_commits_with_nothing_to_claim_costs_at_most_one_claim_each()
    {
        await using var worker = await StartAsync(_ => Task.FromResult(Done()), workers: 4);
        await WaitForAsync(_db.DataSource, "SELECT count(*) FROM sync.jobs WHERE state = 'done'");

        var claims = await ClaimsDuringAsync(worker, commits: 200);

        // One idle worker per commit (and each worker's own poll every 100 ms), not every worker per commit and
        // again for each commit's NOTIFY coming back: that was 4-8 claims per commit.
        Assert.InRange(claims, 1, 200 + 4 * 20);
    }

    [Fact]
    public async Task While_the_queue_is_paused_commits_wake_no_claims()
    {
        await new JobStore(_db.DataSource, TimeProvider.System).SetPausedAsync(true, "test", Ct);
        await using var worker = await StartAsync(_ => Task.FromResult(Done()), workers: 4);

        var claims = await ClaimsDuringAsync(worker, commits: 200);

        // A paused worker looks again once per poll interval (100 ms): about ten times a second each.
        Assert.InRange(claims, 0, 4 * 20);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM sync.jobs WHERE state = 'pending'"));
    }

    [Fact]
    public async Task A_paused_worker_looks_at_the_queue_in_one_round_trip()
    {
        await new JobStore(_db.DataSource, TimeProvider.System).SetPausedAsync(true, "test", Ct);
        await using var worker = await StartAsync(_ => Task.FromResult(Done()));
        var database = new NpgsqlConnectionStringBuilder(_db.ConnectionString).Database!;
        long roundTrips = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                // Statements on this class's database that read the queue: the test's own and the NOTIFYs do not.
                var texts = activity.TagObjects.Select(tag => tag.Value as string).OfType<string>().ToList();
                if (texts.Contains(database)
                    && texts.Any(text => text.Contains("sync.jobs", StringComparison.Ordinal) || text.Contains("sync.control", StringComparison.Ordinal))
                    && !texts.Any(text => text.Contains("public.", StringComparison.Ordinal)))
                {
                    Interlocked.Increment(ref roundTrips);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var claims = await ClaimsDuringAsync(worker, commits: 200);
        var counted = Interlocked.Read(ref roundTrips);

        // Each claim learns in the same round trip whether the queue is paused: before, an empty claim asked again.
        // (The statement trigger that counts claims is created after the listener starts: one or two more.)
        Assert.True(claims > 0);
        Assert.InRange(counted, claims, claims + 2);
    }

    /// <summary>
    /// Announces <paramref name="commits"/> commits of new jobs, one every 5 ms, as InboxWriter does under load,
    /// and counts the claims the workers made meanwhile: a statement trigger counts every UPDATE of sync.jobs,
    /// an empty one too (a claim is two).
    /// </summary>
    private async Task<long> ClaimsDuringAsync(RunningWorker worker, int commits)
    {
        await _db.ScalarAsync("CREATE TABLE public.job_updates (n bigint NOT NULL)");
        await _db.ScalarAsync("INSERT INTO public.job_updates VALUES (0)");
        await _db.ScalarAsync("CREATE FUNCTION public.count_job_update() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN UPDATE public.job_updates SET n = n + 1; RETURN NULL; END'");
        await _db.ScalarAsync("CREATE TRIGGER count_job_updates AFTER UPDATE ON sync.jobs FOR EACH STATEMENT EXECUTE FUNCTION public.count_job_update()");
        var announcements = worker.Services.GetRequiredService<CommitAnnouncements>();
        for (var i = 0; i < commits; i++)
        {
            announcements.JobsQueued();
            await Task.Delay(5, Ct);
        }

        return await _db.ScalarAsync("SELECT n FROM public.job_updates") / 2;
    }

    private static JobOutcome Done() => new(JobTransition.Completed, AttemptOutcome.Success, "done");

    private async Task<RunningWorker> StartAsync(Func<JobAttempt, Task<JobOutcome>> handle, TimeSpan? drainTimeout = null, int workers = 1)
    {
        await new JobStore(_db.DataSource, TimeProvider.System).RequestAsync("c1", SyncTrigger.Api, null, Ct);
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddMetrics()
            .AddSingleton(NpgsqlDataSource.Create(_db.ConnectionString))
            .AddSingleton(TimeProvider.System)
            .AddSingleton<JobStore>()
            .AddSingleton<CommitAnnouncements>()
            .AddSingleton<TicketTelemetry>()
            .AddSingleton<IJobHandler>(new ScriptedHandler(handle))
            .AddSingleton<JobWorker>()
            .Configure<QueueOptions>(options =>
            {
                options.Workers = workers;
                options.Lease = Lease;
                options.PollInterval = TimeSpan.FromMilliseconds(100);
                options.DrainTimeout = drainTimeout ?? TimeSpan.FromSeconds(5);
            })
            .BuildServiceProvider();
        var worker = services.GetRequiredService<JobWorker>();
        await worker.StartAsync(Ct);
        return new RunningWorker(services, worker);
    }

    private sealed class ScriptedHandler(Func<JobAttempt, Task<JobOutcome>> handle) : IJobHandler
    {
        public Task<JobOutcome> HandleAsync(JobAttempt attempt) => handle(attempt);
    }

    private sealed class RunningWorker(ServiceProvider services, JobWorker worker) : IAsyncDisposable
    {
        private bool _stopped;

        public IServiceProvider Services => services;

        public async Task StopAsync()
        {
            _stopped = true;
            await worker.StopAsync(CancellationToken.None);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                await StopAsync();
            }

            await services.DisposeAsync();
        }
    }
}
