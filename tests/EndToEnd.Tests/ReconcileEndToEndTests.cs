using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.V1;

namespace Ferry.EndToEnd.Tests;

/// <summary>Ferry on two TicketService replicas, reconciling every 20 s, with a rule that keeps conversations tagged spam out.</summary>
public sealed class FerryAppReconciling : FerryApp
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(20);

    protected override void Configure(IDistributedApplicationTestingBuilder builder) =>
        builder.CreateResourceBuilder<ProjectResource>("tickets")
            .WithReplicas(2)
            .WithEnvironment("Reconcile__Interval", Interval.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Rules__Exclude__0__Name", "no-spam")
            .WithEnvironment("Rules__Exclude__0__TagsAny__0", "spam");
}

/// <summary>Issue 15 on the real app model: the sandbox loses webhooks, the reconciler finds what they would have said.</summary>
public sealed class ReconcileEndToEndTests(FerryAppReconciling ferry) : IClassFixture<FerryAppReconciling>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Conversations_whose_webhooks_were_lost_end_as_complete_in_step_tickets_found_once_across_two_replicas()
    {
        var adminId = (await ferry.PostAdminAsync("/admin/intercom/admins", new { name = "Rita Reconcile", email = "rita@sandbox.example" }, Ct))["id"]!.GetValue<string>();
        var conversations = new List<(string Id, bool Notified)>();
        for (var i = 0; i < 40; i++)
        {
            // Every fifth conversation's webhook never comes: 8 of 40.
            conversations.Add((await NewConversationAsync($"Question {i}", notify: i % 5 != 0, tags: []), i % 5 != 0));
        }

        var spam = await NewConversationAsync("Cheap watches", notify: false, tags: ["spam"]);

        // A conversation synced through its webhook is closed, and that webhook is lost too.
        var closed = conversations.First(c => c.Notified).Id;
        await ferry.WaitForTicketsAsync(closed, t => t.Count == 1, TimeSpan.FromMinutes(2), Ct);
        await ferry.PostAdminAsync($"/admin/intercom/conversations/{closed}/parts", new { partType = "close", authorType = "admin", authorId = adminId, notify = false }, Ct);

        // Within two reconciler intervals (plus the syncs themselves), every ticket is complete and in step.
        var deadline = DateTime.UtcNow + (2 * FerryAppReconciling.Interval) + TimeSpan.FromSeconds(30);
        foreach (var (id, _) in conversations)
        {
            var tickets = await ferry.WaitForTicketsAsync(id, t => t.Count == 1 && Comments(t[0]) == 1 && (id != closed || Status(t[0]) == "solved"),
                Remaining(deadline), Ct);
            Assert.Contains("Question", tickets[0]["comments"]![0]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Empty(await ferry.TicketsForAsync(spam, Ct));

        // Each finding was queued once, whichever replica's pass found it.
        var sync = new V1.Sync.SyncClient(ferry.Gateway);
        foreach (var (id, notified) in conversations.Append((spam, false)))
        {
            var log = await sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = id, PageSize = 100 }, cancellationToken: Ct);
            var findings = log.Attempts.Where(a => a.Outcome == Outcome.Finding).Select(a => a.Reason.Split(':')[0]).ToList();
            Assert.Equal(findings.Distinct().Count(), findings.Count);
            if (id == spam)
            {
                Assert.Empty(findings);
            }
            else if (!notified)
            {
                Assert.Equal(["missing-ticket"], findings);
            }
            else if (id == closed)
            {
                Assert.Single(findings, f => f is "missing-parts" or "status-drift");
            }
        }
    }

    private async Task<string> NewConversationAsync(string subject, bool notify, string[] tags)
    {
        var contact = await ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email = $"r-{Guid.NewGuid():N}@customer.example", name = "Ray Reconcile" }, Ct);
        var conversation = await ferry.PostAdminAsync("/admin/intercom/conversations",
            new { contactId = contact["id"]!.GetValue<string>(), subject, body = $"<p>{subject}</p>", notify, tags }, Ct);
        return conversation["id"]!.GetValue<string>();
    }

    private static int Comments(JsonObject ticket) => ticket["comments"]!.AsArray().Count;

    private static string Status(JsonObject ticket) => ticket["ticket"]!["status"]!.GetValue<string>();

    private static TimeSpan Remaining(DateTime deadline) => deadline > DateTime.UtcNow ? deadline - DateTime.UtcNow : TimeSpan.Zero;
}
