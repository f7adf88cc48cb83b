using Ferry.Sandbox.Intercom;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Sync;

/// <summary>
/// Parts written on the company's side by someone with no Zendesk user of their own (a bot, a team, a teammate without
/// an agent) are written as Ferry's API user, with a byline naming who wrote them: never as the customer, which an
/// import without an author would make them.
/// </summary>
public sealed class CompanySideAuthorsTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "companyside", Settings)
{
    private static Dictionary<string, string?> Settings => new() { ["Reconcile:Interval"] = "00:00:00" };

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
