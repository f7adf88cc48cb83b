using Ferry.Sandbox.Intercom;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.TicketService.Tests.Migration;

/// <summary>
/// The bulk backfill through the Sync API of the real TicketService, IdentityService and AttachmentService with
/// the sandbox (rate limits raised so the tests measure the work, not the waits): new
/// and returning customers, closed conversations, files, a dry run against the real run, a stop and resume, and
/// live syncs of the same conversations.
/// </summary>
public sealed class BulkBackfillTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, $"bulk_{Guid.NewGuid():N}"[..16], Settings, attachments: true)
{
    private static Dictionary<string, string?> Settings => new()
    {
        ["Reconcile:Interval"] = "00:00:00",
        ["RateLimits:ZendeskPerMinute"] = "1000000",
        ["RateLimits:IntercomPerMinute"] = "1000000",
    };

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Sandbox.Options.Zendesk.RateLimitPerMinute = 1_000_000;
        Sandbox.Options.Intercom.RateLimitPer10Seconds = 1_000_000;
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_and_the_real_run_imports_2000_conversations_with_its_figures()
    {
        var conversations = Seed(2000);
        var files = WithFiles(conversations.Where((_, i) => i % 100 == 7));
        Sandbox.Stats.Reset();

        var plan = await LastAsync(new BackfillRequest { Bulk = true, DryRun = true, ArchiveClosed = true });
        Assert.Empty(Writes());
        Assert.Empty(Sandbox.Zendesk.Tickets());
        Assert.Equal(2000, plan.Bulk.Tickets);
        Assert.Equal(1000, plan.Bulk.UsersToCreate);
        Assert.Equal(1000, plan.Bulk.UsersMatched);
        Assert.Equal((files.Count, files.Values.Sum()), (plan.Bulk.AttachmentFiles, plan.Bulk.AttachmentBytes));

        var run = await LastAsync(new BackfillRequest { Bulk = true, ArchiveClosed = true });
        Assert.True(run.Done);
        Assert.Equal(
            (plan.Seen, plan.Bulk.Tickets, plan.Bulk.Comments, plan.Bulk.UsersToCreate, plan.Bulk.UsersMatched, plan.Bulk.UsersLinked, plan.Bulk.UserConflicts, plan.Bulk.AttachmentBytes),
            (run.Seen, run.Bulk.Tickets, run.Bulk.Comments, run.Bulk.UsersToCreate, run.Bulk.UsersMatched, run.Bulk.UsersLinked, run.Bulk.UserConflicts, run.Bulk.AttachmentBytes));
        Assert.Equal(plan.Bulk.ZendeskCalls, run.Bulk.ZendeskCalls);
        AssertEveryTicketComplete(conversations);
        foreach (var (conversationId, size) in files)
        {
            // Re-uploaded to Zendesk by AttachmentService, as live sync does: a file on the comment, never a link.
            var comment = Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversationId}")[0].Comments, c => c.Attachments.Count > 0);
            Assert.Equal(size, Assert.Single(comment.Attachments).Size);
        }

        Assert.Equal(2000, Sandbox.Zendesk.Users().Count(u => u.Role == "end-user"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM sync.jobs WHERE state IN ('pending', 'running')"));

        var again = await LastAsync(new BackfillRequest { Bulk = true });
        Assert.Equal((2000, 0), (again.Bulk.AlreadySynced, again.Bulk.Tickets));
    }

    [Fact]
    public async Task A_stopped_run_resumes_from_its_checkpoint_while_live_syncs_of_the_same_conversations_arrive()
    {
        var conversations = Seed(400);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        string? token = null;
        var live = new List<string>();
        var stream = Stack.Sync.Backfill(new BackfillRequest { Bulk = true }, cancellationToken: stop.Token);
        try
        {
            await foreach (var step in stream.ResponseStream.ReadAllAsync(stop.Token))
            {
                token = step.ResumeToken;
                // Live syncs race the run: some for conversations imported already, some for ones not reached yet.
                foreach (var id in new[] { conversations[step.Seen - 1].Id, conversations[Math.Min(step.Seen + 50, conversations.Count - 1)].Id })
                {
                    Stack.ReplyFromCustomer(id, "<p>Any news?</p>");
                    await Stack.Sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = id }, cancellationToken: Ct);
                    live.Add(id);
                }

                if (step.Seen >= 200)
                {
                    await stop.CancelAsync();
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            // Stopped halfway, as an operator's Ctrl+C would.
        }

        Assert.NotNull(token);
        Assert.NotEmpty(token);
        var resumed = await LastAsync(new BackfillRequest { Bulk = true, ResumeToken = token });
        Assert.True(resumed.Done);
        Assert.True(resumed.Seen >= 400, $"The resumed run saw {resumed.Seen} conversations in all.");

        await WaitForQueueToDrainAsync();
        AssertEveryTicketComplete(conversations);
        foreach (var id in live.Distinct())
        {
            // The live sync appended the reply to the one ticket (imported in bulk or made live).
            var ticket = Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{id}"));
            Assert.Contains(ticket.Comments, c => c.Body.Contains("Any news?", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_phase_report_counts_new_imported_live_synced_and_open_conversations_per_day_and_says_when_intercom_went_quiet()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var admin = Sandbox.Intercom.AddAdmin("Ada Agent", "ada@company.example");
        long At(int daysAgo) => new DateTimeOffset(today.AddDays(-daysAgo).ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero).ToUnixTimeSeconds();
        foreach (var daysAgo in new[] { 5, 5, 4 })
        {
            var contact = Sandbox.Intercom.AddContact("user", $"c-{Guid.NewGuid():N}@customers.example", "Cam Example");
            Sandbox.Intercom.CreateConversation(contact, "Old question", "<p>Old question</p>", createdAt: At(daysAgo));
        }

        var closed = Sandbox.Intercom.Conversations()[0].Id;
        Sandbox.Intercom.AddPart(closed, "close", IntercomState.AuthorFor(admin), null, at: At(5) + 60);
        await LastAsync(new BackfillRequest { Bulk = true, States = { "closed" } });
        await Stack.RequestAndWaitAsync(Sandbox.Intercom.Conversations()[2].Id, 0, Ct);

        var report = await Stack.Sync.GetPhaseReportAsync(new PhaseReportRequest { Days = 7, QuietDays = 3 }, cancellationToken: Ct);
        // (days ago, created, with their ticket, imported in bulk, synced live, still open)
        Assert.Equal(
            [(5, 2, 1, 1, 0, 1), (4, 1, 1, 0, 1, 1), (3, 0, 0, 0, 0, 0), (2, 0, 0, 0, 0, 0), (1, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0)],
            report.Days.Skip(1).Select(d => (today.DayNumber - DateOnly.ParseExact(d.Date, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture).DayNumber, d.Created, d.Synced, d.Imported, d.SyncedLive, d.StillOpen)));
        Assert.Equal((4, true, today.AddDays(-3).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)), (report.QuietDays, report.IntercomQuiet, report.QuietSince));
        Assert.False((await Stack.Sync.GetPhaseReportAsync(new PhaseReportRequest { Days = 7, QuietDays = 5 }, cancellationToken: Ct)).IntercomQuiet);
    }

    private List<IcConversation> Seed(int count) => BulkScenario.Seed(Sandbox, count);

    /// <summary>The customer sends a file in each of <paramref name="conversations"/>; returns each one's size.</summary>
    private Dictionary<string, long> WithFiles(IEnumerable<IcConversation> conversations)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var conversation in conversations)
        {
            var size = 1_000 + sizes.Count;
            var contact = Sandbox.Intercom.Contact(conversation.ContactIds[0])!;
            Sandbox.Intercom.AddPart(conversation.Id, "comment", Sandbox.Intercom.AuthorFor(contact), "<p>Here is the log.</p>", [new IcAttachment($"log-{sizes.Count}.txt", "text/plain", size, size)]);
            sizes[conversation.Id] = size;
        }

        return sizes;
    }

    private void AssertEveryTicketComplete(IReadOnlyList<IcConversation> conversations) => BulkScenario.AssertEveryTicketComplete(Sandbox, conversations);

    private string[] Writes() =>
        [.. Sandbox.Stats.Snapshot()["zendesk"].Requests.Keys.Where(k => !k.StartsWith("GET ", StringComparison.Ordinal))];

    private Task<BackfillProgress> LastAsync(BackfillRequest request) => BulkScenario.LastAsync(Stack.Sync, request);

    private Task WaitForQueueToDrainAsync() => BulkScenario.WaitForQueueToDrainAsync(Stack.TicketsConnectionString);

    private Task<long> CountAsync(string sql) => BulkScenario.CountAsync(Stack.TicketsConnectionString, sql);
}
