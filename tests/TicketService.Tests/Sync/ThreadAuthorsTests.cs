using Ferry.Sandbox.Intercom;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Sync;

/// <summary>
/// Who each comment is written as when the Intercom author has no Zendesk user of their own. A lead merged into a user
/// (<c>POST /contacts/merge</c>, what Intercom does when a visitor signs up): reading the lead answers 410 Gone with the
/// user as its canonical contact, while the parts the lead wrote still name it; Ferry writes those parts as the user's,
/// and never lets a merge stop a conversation from syncing. A contact deleted in Intercom writes as the requester, and a
/// bot, a team or a teammate without an agent as Ferry's API user, each with a byline: never as the customer on the
/// company's side, which an import without an author would make them.
/// </summary>
public sealed class ThreadAuthorsTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "authors", Settings)
{
    private static Dictionary<string, string?> Settings => new() { ["Reconcile:Interval"] = "00:00:00" };

    [Fact]
    public async Task A_conversation_a_lead_started_before_being_merged_into_a_user_syncs_with_every_message_as_the_users()
    {
        var email = $"vic-{Guid.NewGuid():N}@customers.example";
        var lead = Sandbox.Intercom.AddContact("lead", email, "Vic Visitor");
        var user = Sandbox.Intercom.AddContact("user", email, "Vic Example");
        var conversation = Sandbox.Intercom.CreateConversation(lead, "Pricing", "<p>How much is the team plan?</p>");
        Sandbox.Intercom.AddPart(conversation.Id, "comment", Sandbox.Intercom.AuthorFor(lead), "<p>For 12 seats.</p>");
        Assert.Equal(200, Sandbox.Intercom.MergeContact(lead.Id, user.Id, skipDuplicateValidation: false).Status);
        Sandbox.Intercom.AddPart(conversation.Id, "comment", Sandbox.Intercom.AuthorFor(user), "<p>I signed up meanwhile.</p>");

        var synced = await Stack.RequestAndWaitAsync(conversation.Id, 0, Ct);

        Assert.Equal(Outcome.Success, synced.LastAttempt.Outcome);
        var ticket = Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversation.Id}"));
        var requester = Sandbox.Zendesk.User(ticket.RequesterId)!;
        Assert.True(requester.HasEmail(email));
        Assert.Equal(3, ticket.Comments.Count);
        Assert.All(ticket.Comments, c => Assert.Equal(requester.Id, c.AuthorId));
        Assert.Single(Sandbox.Zendesk.Users(), u => u.HasEmail(email));
    }

    [Fact]
    public async Task A_lead_merged_into_a_user_with_another_address_keeps_its_messages_attributed_to_the_user()
    {
        // An anonymous visitor who later logged in: no shared address, merged anyway (skip_duplicate_validation).
        var lead = Sandbox.Intercom.AddContact("lead", null, "Visitor 4711");
        var userEmail = $"ana-{Guid.NewGuid():N}@customers.example";
        var user = Sandbox.Intercom.AddContact("user", userEmail, "Ana Example");
        var other = Sandbox.Intercom.AddContact("user", $"ben-{Guid.NewGuid():N}@customers.example", "Ben Example");
        var conversation = Sandbox.Intercom.CreateConversation(other, "Shared account", "<p>My colleague will write too.</p>");
        Sandbox.Intercom.AddPart(conversation.Id, "comment", Sandbox.Intercom.AuthorFor(lead), "<p>Hi, colleague here.</p>");
        Assert.Equal(200, Sandbox.Intercom.MergeContact(lead.Id, user.Id, skipDuplicateValidation: true).Status);

        var synced = await Stack.RequestAndWaitAsync(conversation.Id, 0, Ct);

        Assert.Equal(Outcome.Success, synced.LastAttempt.Outcome);
        var ticket = Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversation.Id}"));
        Assert.Equal(2, ticket.Comments.Count);
        Assert.True(Sandbox.Zendesk.User(ticket.Comments[1].AuthorId)!.HasEmail(userEmail));
    }

    [Fact]
    public async Task A_part_by_a_contact_deleted_in_Intercom_is_written_with_a_byline_and_holds_nothing_back()
    {
        var customer = Sandbox.Intercom.AddContact("user", $"cam-{Guid.NewGuid():N}@customers.example", "Cam Customer");
        var colleagueEmail = $"dee-{Guid.NewGuid():N}@customers.example";
        var colleague = Sandbox.Intercom.AddContact("user", colleagueEmail, "Dee Colleague");
        var conversation = Sandbox.Intercom.CreateConversation(customer, "Team invite", "<p>Inviting my colleague.</p>");
        Sandbox.Intercom.AddPart(conversation.Id, "comment", Sandbox.Intercom.AuthorFor(colleague), "<p>Got the invite, thanks.</p>");
        using (var intercom = Sandbox.CreateIntercomClient())
        {
            (await intercom.DeleteAsync($"contacts/{colleague.Id}", Ct)).EnsureSuccessStatusCode();
        }

        Sandbox.Intercom.AddPart(conversation.Id, "comment", Sandbox.Intercom.AuthorFor(customer), "<p>Still there?</p>");

        var synced = await Stack.RequestAndWaitAsync(conversation.Id, 0, Ct);

        // The deleted contact's message is kept, on the customer's side (the requester's) with a byline saying who wrote it:
        // no Zendesk user is made for someone no longer in Intercom, and the customer's later message is not held back.
        Assert.Equal(Outcome.Success, synced.LastAttempt.Outcome);
        var ticket = Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversation.Id}"));
        Assert.Equal(3, ticket.Comments.Count);
        Assert.Contains("Dee Colleague (Intercom user, no longer in Intercom) wrote:", ticket.Comments[1].HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Got the invite", ticket.Comments[1].HtmlBody, StringComparison.Ordinal);
        Assert.Equal(ticket.RequesterId, ticket.Comments[1].AuthorId);
        Assert.Equal(ticket.RequesterId, ticket.Comments[2].AuthorId);
        Assert.DoesNotContain(Sandbox.Zendesk.Users(), u => u.HasEmail(colleagueEmail));
    }

    [Fact]
    public async Task A_bots_and_an_unmatched_teammates_parts_are_the_API_users_in_the_import_and_in_a_later_append()
    {
        var customer = Sandbox.Intercom.AddContact("user", $"kim-{Guid.NewGuid():N}@customers.example", "Kim Customer");
        var formerTeammate = Sandbox.Intercom.AddAdmin("Ola Former", $"ola-{Guid.NewGuid():N}@company.example");
        var bot = new IcAuthor("bot", "fin-1", "Fin", null);
        var conversation = Sandbox.Intercom.CreateConversation(customer, "Refund", "<p>Where is my refund?</p>");
        Sandbox.Intercom.AddPart(conversation.Id, "comment", bot, "<p>I am Fin. A teammate will reply soon.</p>");
        Sandbox.Intercom.AddPart(conversation.Id, "comment", IntercomState.AuthorFor(formerTeammate), "<p>Your refund was sent today.</p>");

        var imported = await Stack.RequestAndWaitAsync(conversation.Id, 0, Ct);
        Sandbox.Intercom.AddPart(conversation.Id, "note", bot, "<p>Tagged as refunds.</p>");
        var appended = await Stack.RequestAndWaitAsync(conversation.Id, imported.LastAttempt.AttemptId, Ct);

        Assert.Equal(Outcome.Success, imported.LastAttempt.Outcome);
        Assert.Equal(Outcome.Success, appended.LastAttempt.Outcome);
        var ticket = Assert.Single(Sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversation.Id}"));
        var apiUser = Assert.Single(Sandbox.Zendesk.Users(), u => u.HasEmail(Sandbox.ZendeskEmail));
        Assert.NotEqual("end-user", apiUser.Role);
        Assert.Equal(4, ticket.Comments.Count);
        Assert.Equal(ticket.RequesterId, ticket.Comments[0].AuthorId);
        Assert.All(ticket.Comments.Skip(1), c => Assert.Equal(apiUser.Id, c.AuthorId));
        Assert.Contains("Fin (Intercom bot) wrote:", ticket.Comments[1].HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Ola Former (Intercom teammate) wrote:", ticket.Comments[2].HtmlBody, StringComparison.Ordinal);
        Assert.False(ticket.Comments[3].Public);
    }
}
