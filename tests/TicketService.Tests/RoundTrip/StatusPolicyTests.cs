using Ferry.TicketService.RoundTrip;
using Ferry.TicketService.Vendors.Intercom;

namespace Ferry.TicketService.Tests.RoundTrip;

public sealed class StatusPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static StatusDecision Decide(string? knownIntercom, string? knownZendesk, string intercom, string zendesk,
        DateTimeOffset? intercomAt = null, DateTimeOffset? zendeskAt = null, bool reopen = false) =>
        StatusPolicy.Decide(new KnownStatus(knownIntercom, knownZendesk), new SideStatus(intercom, intercomAt ?? T0), new SideStatus(zendesk, zendeskAt ?? T0), reopen, "pending");

    [Theory]
    [InlineData("open", "open", "closed", "open", "solved")]
    [InlineData("closed", "solved", "open", "solved", "open")]
    [InlineData("open", "open", "snoozed", "open", "pending")]
    [InlineData("snoozed", "pending", "open", "pending", "open")]
    public void An_Intercom_change_moves_the_ticket(string knownIntercom, string knownZendesk, string intercom, string zendesk, string expected)
    {
        var decision = Decide(knownIntercom, knownZendesk, intercom, zendesk);
        Assert.Equal(StatusAction.UpdateZendesk, decision.Action);
        Assert.Equal(expected, decision.Target);
        Assert.Equal(StatusOrigin.Intercom, decision.Origin);
    }

    [Theory]
    [InlineData("solved")]
    [InlineData("closed")]
    public void Solving_or_closing_in_Zendesk_closes_the_conversation(string zendesk)
    {
        var decision = Decide("open", "open", "open", zendesk);
        Assert.Equal(StatusAction.CloseIntercom, decision.Action);
        Assert.Equal(StatusOrigin.Zendesk, decision.Origin);
    }

    [Fact]
    public void A_Zendesk_reopen_reopens_the_conversation_only_when_the_setting_is_on()
    {
        Assert.Equal(StatusAction.None, Decide("closed", "solved", "closed", "open").Action);
        Assert.Contains("ReopenIntercomOnZendeskReopen is off", Decide("closed", "solved", "closed", "open").Reason, StringComparison.Ordinal);
        Assert.Equal(StatusAction.ReopenIntercom, Decide("closed", "solved", "closed", "open", reopen: true).Action);
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("hold")]
    public void Pending_or_hold_in_Zendesk_leave_an_active_conversation_alone(string zendesk) =>
        Assert.Equal(StatusAction.None, Decide("open", "open", "open", zendesk).Action);

    [Fact]
    public void Echoes_are_no_change_at_all()
    {
        // Ferry closed the conversation and recorded (closed, solved): Intercom's closed webhook finds nothing new.
        Assert.Equal(StatusAction.None, Decide("closed", "solved", "closed", "solved").Action);
        // Ferry solved the ticket after an Intercom close: Zendesk's solved webhook finds nothing new either.
        Assert.Equal(StatusAction.None, Decide("closed", "solved", "closed", "solved", reopen: true).Action);
    }

    [Fact]
    public void When_both_sides_changed_the_later_change_wins_whatever_the_arrival_order()
    {
        // Snoozed in Intercom, solved in Zendesk, since the last sync: the vendors' own timestamps decide.
        var zendeskLater = Decide("open", "open", "snoozed", "solved", intercomAt: T0, zendeskAt: T0.AddMinutes(1));
        Assert.Equal(StatusAction.CloseIntercom, zendeskLater.Action);

        var intercomLater = Decide("open", "open", "snoozed", "solved", intercomAt: T0.AddMinutes(1), zendeskAt: T0);
        Assert.Equal(StatusAction.UpdateZendesk, intercomLater.Action);
        Assert.Equal("pending", intercomLater.Target);
    }

    [Fact]
    public void Both_sides_changing_to_agreeing_statuses_needs_no_write() =>
        Assert.Equal(StatusAction.None, Decide("open", "open", "closed", "solved").Action);

    [Fact]
    public void A_closed_ticket_keeps_its_status() =>
        Assert.Equal(StatusAction.None, Decide("closed", "closed", "open", "closed").Action);

    [Fact]
    public void The_first_sync_takes_Intercom_as_the_source()
    {
        Assert.Equal(StatusAction.None, Decide(null, null, "open", "open").Action);
        var decision = Decide(null, null, "closed", "open");
        Assert.Equal(StatusAction.UpdateZendesk, decision.Action);
        Assert.Equal("solved", decision.Target);
    }

    [Fact]
    public void Zendesk_display_names_are_normalised() => Assert.Equal("solved", StatusPolicy.Normalize(" Solved "));

    [Fact]
    public void The_conversation_state_time_is_its_latest_state_part()
    {
        var conversation = Conversation("closed",
            Part("1", "comment", 100, "user"), Part("2", "close", 200, "admin"), Part("3", "open", 300, "admin"), Part("4", "close", 400, "admin"), Part("5", "note", 500, "admin"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(400), StatusPolicy.IntercomChangedAt(conversation));

        // Reopened by the customer's reply: no "open" part, the reply is the change.
        var reopened = Conversation("open", Part("1", "close", 200, "admin"), Part("2", "comment", 300, "user"), Part("3", "comment", 350, "admin"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(300), StatusPolicy.IntercomChangedAt(reopened));
    }

    private static IntercomPart Part(string id, string type, long at, string authorType) =>
        new(id, type, null, at, new IntercomAuthor("1", authorType, null, null), null, null);

    private static IntercomConversation Conversation(string state, params IntercomPart[] parts) =>
        new("c1", null, 10, 500, state, state != "closed", null, null, null, null, null, new IntercomPartList(parts, parts.Length), null, null);
}
