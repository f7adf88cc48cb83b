using Ferry.TicketService.Data;
using Ferry.TicketService.Reconcile;
using Ferry.TicketService.Vendors.Intercom;

namespace Ferry.TicketService.Tests.Reconcile;

public sealed class ConversationDriftTests
{
    private static readonly DateTimeOffset Synced = DateTimeOffset.Parse("2026-11-29T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_conversation_Ferry_never_saw_is_a_missing_ticket_unless_the_rules_keep_it_out()
    {
        Assert.Equal(FindingKind.MissingTicket, ConversationDrift.Find(Conversation(parts: 1), null, excludedByRules: false)?.Kind);
        Assert.Null(ConversationDrift.Find(Conversation(parts: 1), null, excludedByRules: true));
    }

    [Fact]
    public void A_conversation_being_synced_is_never_a_finding()
    {
        foreach (var state in new[] { JobState.Pending, JobState.Running })
        {
            Assert.Null(ConversationDrift.Find(Conversation(parts: 9, state: "closed"), Record(ticket: 7, parts: 1, job: state), excludedByRules: false));
        }
    }

    [Fact]
    public void More_parts_than_the_last_sync_saw_come_before_a_status_out_of_step()
    {
        Assert.Equal(FindingKind.MissingParts, ConversationDrift.Find(Conversation(parts: 3, state: "closed"), Record(ticket: 7, parts: 2), false)?.Kind);
        Assert.Equal(FindingKind.StatusDrift, ConversationDrift.Find(Conversation(parts: 2, state: "closed"), Record(ticket: 7, parts: 2), false)?.Kind);
        Assert.Null(ConversationDrift.Find(Conversation(parts: 2, state: "open"), Record(ticket: 7, parts: 2), false));
    }

    [Fact]
    public void Without_a_part_count_only_an_update_well_after_the_last_sync_counts()
    {
        var soonAfter = Conversation(parts: null, updatedAt: Synced + TimeSpan.FromSeconds(30));
        var later = Conversation(parts: null, updatedAt: Synced + TimeSpan.FromMinutes(10));
        Assert.Null(ConversationDrift.Find(soonAfter, Record(ticket: 7, parts: 2), false));
        Assert.Equal(FindingKind.MissingParts, ConversationDrift.Find(later, Record(ticket: 7, parts: 2), false)?.Kind);
    }

    [Fact]
    public void A_job_refused_for_good_comes_back_only_once_the_conversation_changed()
    {
        var dead = Record(ticket: null, parts: 0, job: JobState.Dead, death: "permanent");
        Assert.Null(ConversationDrift.Find(Conversation(parts: 1, updatedAt: Synced - TimeSpan.FromMinutes(1)), dead, false));
        Assert.Equal(FindingKind.DeadCleared, ConversationDrift.Find(Conversation(parts: 1, updatedAt: Synced + TimeSpan.FromMinutes(1)), dead, false)?.Kind);

        // Transient deaths wait for the retry window (ReconcileStore.ClearedDeadJobsAsync), whatever changed.
        var exhausted = dead with { Death = "window" };
        Assert.Null(ConversationDrift.Find(Conversation(parts: 1, updatedAt: Synced + TimeSpan.FromMinutes(1)), exhausted, false));
    }

    [Fact]
    public void A_finished_job_that_read_the_conversation_decided_there_is_no_ticket_to_make()
    {
        var decided = Record(ticket: null, parts: 0, job: JobState.Done);
        Assert.Null(ConversationDrift.Find(Conversation(parts: 1, updatedAt: Synced - TimeSpan.FromSeconds(1)), decided, false));
        Assert.Equal(FindingKind.MissingTicket, ConversationDrift.Find(Conversation(parts: 1, updatedAt: Synced + TimeSpan.FromSeconds(1)), decided, false)?.Kind);
    }

    private static IntercomConversation Conversation(int? parts, string state = "open", DateTimeOffset? updatedAt = null) =>
        new("42", null, Synced.ToUnixTimeSeconds(), (updatedAt ?? Synced).ToUnixTimeSeconds(), state, state == "open", null, null, null, null, null, null, null, null,
            new IntercomStatistics(parts));

    private static ConversationRecord Record(long? ticket, int parts, JobState job = JobState.Done, string? death = null) =>
        new("42", ticket, parts, "open", "open", job, Synced, death, job == JobState.Dead ? "Zendesk refused" : null);
}
