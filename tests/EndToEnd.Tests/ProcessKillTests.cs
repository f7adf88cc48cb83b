using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Ferry whose TicketService can be killed and started again: a short queue lease, so a job whose
/// worker died is taken over within seconds rather than the production two minutes.
/// </summary>
public sealed class KillableFerryApp : IAsyncLifetime
{
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(5);
    private const string Tickets = "tickets";
    private static readonly TimeSpan StateTimeout = TimeSpan.FromMinutes(2);

    public FerryApp Ferry { get; } = new ShortLease();

    private DistributedApplication App => Ferry.App;

    private sealed class ShortLease : FerryApp
    {
        protected override void Configure(IDistributedApplicationTestingBuilder builder) =>
            builder.CreateResourceBuilder<ProjectResource>(Tickets).WithEnvironment("Queue__Lease", Lease.ToString("c", CultureInfo.InvariantCulture));
    }

    public ValueTask InitializeAsync() => Ferry.InitializeAsync();

    public ValueTask DisposeAsync() => Ferry.DisposeAsync();

    /// <summary>
    /// SIGKILLs the running TicketService process: no shutdown, no cleanup, its connections cut. The
    /// orchestrator launches projects through `dotnet run`; the service is that launcher's child, and
    /// the launcher exits by itself once the service died, as a supervisor would see a crash.
    /// </summary>
    public Task<KilledProcess> KillTicketServiceAsync(CancellationToken cancellationToken) => StopTicketServiceAsync(graceful: false, cancellationToken);

    /// <summary>SIGTERMs the running TicketService process, as Kubernetes does on a deploy, and waits until it has exited.</summary>
    public Task<KilledProcess> TerminateTicketServiceAsync(CancellationToken cancellationToken) => StopTicketServiceAsync(graceful: true, cancellationToken);

    private async Task<KilledProcess> StopTicketServiceAsync(bool graceful, CancellationToken cancellationToken)
    {
        var launcherPid = Pid(await WaitForTicketsAsync(e => e.Snapshot.State?.Text == KnownResourceStates.Running && Pid(e) is not null, cancellationToken))!.Value;
        var pid = new[] { launcherPid }.Concat(Descendants(launcherPid)).First(p => CommandLine(p).Contains("Ferry.TicketService", StringComparison.Ordinal));
        var commandLine = CommandLine(pid);
        using var service = Process.GetProcessById(pid);
        if (graceful)
        {
            using var kill = Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(cancellationToken);
        }
        else
        {
            service.Kill(); // SIGKILL on Unix
        }

        await service.WaitForExitAsync(cancellationToken);
        return new KilledProcess(launcherPid, pid, commandLine);
    }

    /// <summary>Starts TicketService again once the orchestrator has seen the killed one exit; returns the new launcher's process id.</summary>
    public async Task<int> StartTicketServiceAsync(KilledProcess killed, CancellationToken cancellationToken)
    {
        await WaitForTicketsAsync(
            e => e.Snapshot.State?.Text is { } state && (state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart),
            cancellationToken);
        var resource = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == Tickets);
        var started = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        Assert.True(started.Success, $"Starting TicketService again failed: {started.Message}");
        var restarted = await WaitForTicketsAsync(
            e => e.Snapshot.State?.Text == KnownResourceStates.Running && Pid(e) is { } pid && pid != killed.LauncherPid,
            cancellationToken);
        return Pid(restarted)!.Value;
    }

    private async Task<ResourceEvent> WaitForTicketsAsync(Func<ResourceEvent, bool> predicate, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StateTimeout);
        return await App.ResourceNotifications.WaitForResourceAsync(Tickets, predicate, timeout.Token);
    }

    /// <summary>Every process below <paramref name="pid"/> (Linux: parent ids from /proc/*/stat).</summary>
    private static List<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var child))
            {
                try
                {
                    // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[child] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The process ended while we looked.
                }
            }
        }

        var found = new List<int>();
        var frontier = new Queue<int>([pid]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var (child, _) in parents.Where(p => p.Value == parent))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }

        return found;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int? Pid(ResourceEvent e) =>
        e.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value
            ? Convert.ToInt32(value, CultureInfo.InvariantCulture)
            : null;
}

/// <summary>A TicketService process the test killed: its launcher (what the orchestrator watches) and the service itself.</summary>
public sealed record KilledProcess(int LauncherPid, int ServicePid, string CommandLine);

/// <summary>Issue 6: a worker process killed between the Zendesk create and Ferry's commit, then taken over → still one ticket.</summary>
public sealed class ProcessKillTests(KillableFerryApp killable) : IClassFixture<KillableFerryApp>
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FerryApp Ferry => killable.Ferry;

    [Fact]
    public async Task A_TicketService_killed_after_Zendesk_created_the_ticket_leaves_one_complete_ticket_once_another_process_takes_over()
    {
        var contact = await Ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email = "killed@customer.example", name = "Kim Killed" }, Ct);
        var contactId = contact["id"]!.GetValue<string>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string[] bodies = ["<p>Order 1 never arrived</p>", "<p>Tracking says delivered</p>", "<p>Still nothing at my door</p>"];

        // Zendesk creates the ticket, then holds its answer: the worker waits in the window between
        // the create and the commit of ticket id and ledger, and dies there.
        await Ferry.SetFaultsAsync(new { scope = "zendesk", holdResponseMs = 600_000, pathContains = "/imports/tickets" }, Ct);
        string conversationId;
        long createdTicketId;
        KilledProcess killed;
        try
        {
            var conversation = await Ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId, subject = "", body = bodies[0], createdAt = now - 300 }, Ct);
            conversationId = conversation["id"]!.GetValue<string>();
            for (var i = 1; i < bodies.Length; i++)
            {
                await Ferry.PostAdminAsync(
                    $"/admin/intercom/conversations/{conversationId}/parts",
                    new { partType = "comment", authorType = "user", authorId = contactId, body = bodies[i], createdAt = now - 300 + (i * 100), notify = false },
                    Ct);
            }

            var created = await Ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
            createdTicketId = created[0]["ticket"]!["id"]!.GetValue<long>();
            killed = await killable.KillTicketServiceAsync(Ct);
            Output($"Zendesk created ticket {createdTicketId}; SIGKILLed TicketService pid {killed.ServicePid} ({killed.CommandLine}, launched by pid {killed.LauncherPid}) while its answer was held.");
        }
        finally
        {
            await Ferry.SetFaultsAsync(new { }, Ct);
        }

        var restartedPid = await killable.StartTicketServiceAsync(killed, Ct);
        Output($"TicketService started again (launcher pid {restartedPid}).");

        var sync = new V1.Sync.SyncClient(Ferry.Gateway);
        var state = await WaitForDoneAsync(sync, conversationId);
        Assert.Equal(Outcome.Success, state.LastAttempt.Outcome);

        var tickets = await Ferry.TicketsForAsync(conversationId, Ct);
        var ticket = Assert.Single(tickets);
        Assert.Equal(createdTicketId, ticket["ticket"]!["id"]!.GetValue<long>());
        Assert.Equal(bodies, ticket["comments"]!.AsArray().Select(c => c!["html_body"]!.GetValue<string>()));
        Assert.Equal(ticket["ticket"]!["id"]!.GetValue<long>(), state.TicketId);
        Assert.Equal(bodies.Length, state.SyncedParts);

        // The killed attempt (number 1) died before writing anything, its attempt row included; the
        // takeover is attempt 2 of the same job, and nothing failed.
        var attempts = (await sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId }, cancellationToken: Ct)).Attempts;
        foreach (var a in attempts)
        {
            Output($"Attempt {a.AttemptNumber} of job {a.JobId}: {a.Outcome}, ticket {a.TicketId}, {a.VendorCalls} vendor call(s): {a.Reason}");
        }

        Assert.NotEmpty(attempts);
        Assert.All(attempts, a => Assert.Equal(Outcome.Success, a.Outcome));
        var first = attempts.MinBy(a => a.AttemptId)!;
        Assert.Equal(2, first.AttemptNumber);
        Assert.Equal(state.TicketId, first.TicketId);
    }

    [Fact]
    public async Task An_admin_reply_whose_answer_was_lost_is_appended_once()
    {
        // An Intercom teammate with no Zendesk agent: the comment carries a byline, so its text in the
        // ticket differs from the part's body, and an appended comment's created_at is the append time.
        var admin = await Ferry.PostAdminAsync("/admin/intercom/admins", new { name = "Nadia Noagent", email = "nadia.noagent@ferry.example" }, Ct);
        var contact = await Ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email = "byline@customer.example", name = "Bo Byline" }, Ct);
        var conversation = await Ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId = contact["id"]!.GetValue<string>(), subject = "", body = "<p>Where is my refund?</p>" }, Ct);
        var conversationId = conversation["id"]!.GetValue<string>();
        var sync = new V1.Sync.SyncClient(Ferry.Gateway);
        await Ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
        var ticketId = (await WaitForDoneAsync(sync, conversationId)).TicketId;

        // The reply was written a minute before Ferry syncs it (a backlog, a late webhook), so the appended
        // comment's created_at (the append time) differs from the part's. The update adds the comment,
        // then its answer is cut: the attempt fails, the retry runs.
        await Ferry.SetFaultsAsync(new { scope = "zendesk", dropRate = 1.0, pathContains = $"/api/v2/tickets/{ticketId}" }, Ct);
        try
        {
            await Ferry.PostAdminAsync(
                $"/admin/intercom/conversations/{conversationId}/parts",
                new { partType = "comment", authorType = "admin", authorId = admin["id"]!.GetValue<string>(), body = "<p>Refund on its way</p>", createdAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60 },
                Ct);
            await Ferry.WaitForTicketsAsync(conversationId, t => t[0]["comments"]!.AsArray().Count >= 2, SyncTimeout, Ct);
            await WaitForAttemptAsync(sync, conversationId, Outcome.Failure);
        }
        finally
        {
            await Ferry.SetFaultsAsync(new { }, Ct);
        }

        await WaitForDoneAsync(sync, conversationId);
        var ticket = Assert.Single(await Ferry.TicketsForAsync(conversationId, Ct));
        Assert.Equal(2, ticket["comments"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_reply_repeating_an_earlier_text_is_not_lost_on_a_retry()
    {
        var contact = await Ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email = "repeat@customer.example", name = "Ray Repeat" }, Ct);
        var contactId = contact["id"]!.GetValue<string>();
        var conversation = await Ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId, subject = "", body = "<p>Thanks</p>" }, Ct);
        var conversationId = conversation["id"]!.GetValue<string>();
        var sync = new V1.Sync.SyncClient(Ferry.Gateway);
        await Ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
        var ticketId = (await WaitForDoneAsync(sync, conversationId)).TicketId;

        // The customer says "Thanks" again; the first attempt to append it fails before Zendesk took it.
        await Ferry.SetFaultsAsync(new { scope = "zendesk", errorRate = 1.0, pathContains = $"/api/v2/tickets/{ticketId}" }, Ct);
        try
        {
            await Ferry.PostAdminAsync(
                $"/admin/intercom/conversations/{conversationId}/parts",
                new { partType = "comment", authorType = "user", authorId = contactId, body = "<p>Thanks</p>" },
                Ct);
            await WaitForAttemptAsync(sync, conversationId, Outcome.Failure);
        }
        finally
        {
            await Ferry.SetFaultsAsync(new { }, Ct);
        }

        await WaitForDoneAsync(sync, conversationId);
        var ticket = Assert.Single(await Ferry.TicketsForAsync(conversationId, Ct));
        Assert.Equal(2, ticket["comments"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_TicketService_stopped_during_a_slow_Zendesk_write_finishes_and_records_it_so_nothing_is_doubled()
    {
        var contact = await Ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email = "deploy@customer.example", name = "Dee Ploy" }, Ct);
        var contactId = contact["id"]!.GetValue<string>();
        var conversation = await Ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId, subject = "", body = "<p>My invoice is wrong</p>" }, Ct);
        var conversationId = conversation["id"]!.GetValue<string>();
        var sync = new V1.Sync.SyncClient(Ferry.Gateway);
        await Ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
        var ticketId = (await WaitForDoneAsync(sync, conversationId)).TicketId;

        // Zendesk takes the appended comment, then holds its answer; the deploy's SIGTERM arrives in that window.
        await Ferry.SetFaultsAsync(new { scope = "zendesk", holdResponseMs = 4_000, pathContains = $"/api/v2/tickets/{ticketId}" }, Ct);
        KilledProcess stopped;
        try
        {
            await Ferry.PostAdminAsync(
                $"/admin/intercom/conversations/{conversationId}/parts",
                new { partType = "comment", authorType = "user", authorId = contactId, body = "<p>It says 40 EUR, I paid 20</p>" },
                Ct);
            await Ferry.WaitForTicketsAsync(conversationId, t => t[0]["comments"]!.AsArray().Count == 2, SyncTimeout, Ct);
            stopped = await killable.TerminateTicketServiceAsync(Ct);
            Output($"SIGTERMed TicketService pid {stopped.ServicePid} while Zendesk held the answer to the append.");
        }
        finally
        {
            await Ferry.SetFaultsAsync(new { }, Ct);
        }

        await killable.StartTicketServiceAsync(stopped, Ct);
        await WaitForDoneAsync(sync, conversationId);

        // The stopping process waited for the answer and recorded the comment before it exited.
        var attempts = (await sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId }, cancellationToken: Ct)).Attempts;
        foreach (var a in attempts)
        {
            Output($"Attempt {a.AttemptNumber} of job {a.JobId}: {a.Outcome}: {a.Reason}");
        }

        Assert.Contains(attempts, a => a.Outcome == Outcome.Success && a.Reason.StartsWith("Appended 1 comment", StringComparison.Ordinal));

        await Ferry.PostAdminAsync(
            $"/admin/intercom/conversations/{conversationId}/parts",
            new { partType = "comment", authorType = "user", authorId = contactId, body = "<p>Any news?</p>" },
            Ct);
        await Ferry.WaitForTicketsAsync(conversationId, t => t[0]["comments"]!.AsArray().Count >= 3, SyncTimeout, Ct);
        await WaitForDoneAsync(sync, conversationId);
        var ticket = Assert.Single(await Ferry.TicketsForAsync(conversationId, Ct));
        Assert.Equal(["<p>My invoice is wrong</p>", "<p>It says 40 EUR, I paid 20</p>", "<p>Any news?</p>"], ticket["comments"]!.AsArray().Select(c => c!["html_body"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_follow_up_ticket_created_just_before_a_crash_is_adopted_not_created_twice()
    {
        var contact = await Ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email = "followup@customer.example", name = "Flo Low" }, Ct);
        var contactId = contact["id"]!.GetValue<string>();
        var conversation = await Ferry.PostAdminAsync("/admin/intercom/conversations", new { contactId, subject = "", body = "<p>Broken again</p>" }, Ct);
        var conversationId = conversation["id"]!.GetValue<string>();
        var sync = new V1.Sync.SyncClient(Ferry.Gateway);
        await Ferry.WaitForTicketsAsync(conversationId, t => t.Count == 1, SyncTimeout, Ct);
        var closedId = (await WaitForDoneAsync(sync, conversationId)).TicketId;
        using (var close = await Ferry.Sandbox.PostAsync(new Uri($"/admin/zendesk/tickets/{closedId}/status?status=closed", UriKind.Relative), null, Ct))
        {
            close.EnsureSuccessStatusCode();
        }

        await WaitForDoneAsync(sync, conversationId);

        // The customer writes again: the closed ticket refuses the comment, Zendesk creates the follow-up
        // and holds its answer; the worker dies in that window.
        await Ferry.SetFaultsAsync(new { scope = "zendesk", holdResponseMs = 600_000, pathContains = "/api/v2/tickets", method = "POST" }, Ct);
        KilledProcess killed;
        try
        {
            await Ferry.PostAdminAsync(
                $"/admin/intercom/conversations/{conversationId}/parts",
                new { partType = "comment", authorType = "user", authorId = contactId, body = "<p>Still broken</p>" },
                Ct);
            await Ferry.WaitForTicketsAsync(conversationId, t => t.Count == 2, SyncTimeout, Ct);
            killed = await killable.KillTicketServiceAsync(Ct);
        }
        finally
        {
            await Ferry.SetFaultsAsync(new { }, Ct);
        }

        await killable.StartTicketServiceAsync(killed, Ct);
        var state = await WaitForDoneAsync(sync, conversationId);

        var tickets = await Ferry.TicketsForAsync(conversationId, Ct);
        Assert.Equal(2, tickets.Count);
        var followUp = Assert.Single(tickets, t => t["ticket"]!["id"]!.GetValue<long>() != closedId);
        Assert.Equal(followUp["ticket"]!["id"]!.GetValue<long>(), state.TicketId);
        Assert.Equal(["<p>Still broken</p>"], followUp["comments"]!.AsArray().Select(c => c!["html_body"]!.GetValue<string>()));
    }

    private static async Task WaitForAttemptAsync(V1.Sync.SyncClient sync, string conversationId, Outcome outcome)
    {
        var deadline = DateTime.UtcNow + SyncTimeout;
        while (!(await sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversationId }, cancellationToken: Ct)).Attempts.Any(a => a.Outcome == outcome))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Conversation {conversationId}: no {outcome} attempt was logged.");
            await Task.Delay(250, Ct);
        }
    }

    private static void Output(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    /// <summary>Polls GetSync until the conversation's job is done or dead (TicketService may still be starting).</summary>
    private static async Task<SyncState> WaitForDoneAsync(V1.Sync.SyncClient sync, string conversationId)
    {
        var deadline = DateTime.UtcNow + SyncTimeout;
        SyncState? state = null;
        while (true)
        {
            try
            {
                state = await sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, cancellationToken: Ct);
                if (state.JobState is JobState.Done or JobState.Dead)
                {
                    Assert.Equal(JobState.Done, state.JobState);
                    return state;
                }
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                // TicketService is still coming up behind the gateway.
            }

            Assert.True(DateTime.UtcNow < deadline, $"Conversation {conversationId}: the job never finished after the takeover: {state}");
            await Task.Delay(250, Ct);
        }
    }
}
