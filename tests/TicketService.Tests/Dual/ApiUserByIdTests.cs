using Ferry.Testing;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Dual;

/// <summary>
/// Ferry tells its own API user's comments apart by the user's id, so an OAuth token (no Zendesk:Email) changes nothing:
/// a comment written with Ferry's credentials is never carried to Intercom as an agent's reply.
/// </summary>
public sealed class ApiUserByIdTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "dual_oauth", Settings)
{
    private const string FallbackAdminEmail = "ferry-bot@sandbox.example";

    private static Dictionary<string, string?> Settings => new()
    {
        ["Dual:RepliesToIntercom"] = "public-and-notes",
        ["Status:IntercomAdminEmail"] = FallbackAdminEmail,
        ["Zendesk:Email"] = "",
    };

    [Fact]
    public async Task With_an_OAuth_token_a_comment_written_with_Ferrys_credentials_is_not_carried_to_Intercom()
    {
        Sandbox.Intercom.AddAdmin("Ferry Bot", FallbackAdminEmail);
        var contact = Sandbox.Intercom.AddContact("user", $"uma-{Guid.NewGuid():N}@customers.example", "Uma Customer");
        var conversation = Sandbox.Intercom.CreateConversation(contact, "Invoice", "<p>Can I get an invoice?</p>");
        var created = await Stack.RequestAndWaitAsync(conversation.Id, 0, Ct);
        Assert.Equal(Outcome.Success, created.LastAttempt.Outcome);

        // Written with Ferry's token but not recorded by Ferry (a script sharing the token, a write whose recording was lost).
        Assert.Null(Sandbox.AgentDesk.Comment(created.TicketId, Sandbox.Zendesk.ApiUser().Id, "<p>Invoice attached.</p>", isPublic: true).Error);
        var synced = await Stack.RequestAndWaitAsync(conversation.Id, created.LastAttempt.AttemptId, Ct);

        Assert.Equal(Outcome.Success, synced.LastAttempt.Outcome);
        lock (Sandbox.Intercom.Gate)
        {
            Assert.DoesNotContain(Sandbox.Intercom.Conversation(conversation.Id)!.Parts, p => p.Author.Type == "admin");
        }
    }
}
