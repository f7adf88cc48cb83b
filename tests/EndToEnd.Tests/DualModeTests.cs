using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Issue 18 through the real app model (sandbox mode runs dual mode, docs/DUAL.md): agents' Zendesk replies and notes
/// reach Intercom once as the right admin and visibility, customers' Intercom replies reach Zendesk once, a long
/// exchange ends with both threads complete and in order, the requester gets no Zendesk email, and the conversation's
/// fields follow onto the ticket.
/// </summary>
[Collection(DefaultFerryApp.Name)]
public sealed class DualModeTests(FerryApp ferry) : StatusRoundTripScenarios(ferry)
{
    private static readonly string[] Vip = ["VIP"];

    private static readonly string[] FirstMessages = ["Fixed on our side.", "Cache flushed.", "Works now, thanks!"];

    [Fact]
    public async Task Replies_cross_both_ways_once_in_order_and_the_customer_is_told_once()
    {
        var (contactId, conversationId, ticketId) = await SyncedConversationAsync("dual.replies@customer.example");
        var dana = await NewAdminAsync("Dana Dual", "dana.dual@ferry.example");
        var danaAgent = await ZendeskUserAsync("Dana Dual", "dana.dual@ferry.example", "agent");
        var zed = await ZendeskUserAsync("Zed Zendesk-only", "zed.only@ferry.example", "agent");

        // An agent's public reply and another agent's internal note, written in Zendesk.
        await AgentCommentAsync(ticketId, danaAgent, "<p>Fixed on our side.</p>", isPublic: true);
        await AgentCommentAsync(ticketId, zed, "<p>Cache flushed.</p>", isPublic: false);
        var conversation = await WaitForIntercomAsync(conversationId, c => Parts(c, "comment").Count == 1 && Parts(c, "note").Count == 1);
        var reply = Parts(conversation, "comment").Single();
        Assert.Equal(dana, reply["author"]!["id"]!.GetValue<string>());
        Assert.Equal("<p>Fixed on our side.</p>", reply["body"]!.GetValue<string>());
        var note = Parts(conversation, "note").Single();
        Assert.Equal("ada@sandbox.example", note["author"]!["email"]!.GetValue<string>()); // the fallback admin, with a byline
        Assert.StartsWith("<p><em>Zed Zendesk-only (Zendesk agent) wrote:</em></p>", note["body"]!.GetValue<string>());

        // A customer's reply in Intercom reaches Zendesk once.
        await AddPartAsync(conversationId, "comment", "user", contactId, "<p>Works now, thanks!</p>");
        await Ferry.WaitForTicketsAsync(conversationId, t => Bodies(t[0]).Contains("Works now, thanks!"), Timeout, Ct);

        // 20 alternating messages, each answered once it has arrived on the other side.
        for (var i = 1; i <= 20; i++)
        {
            var text = $"Message {i}";
            if (i % 2 == 1)
            {
                await AddPartAsync(conversationId, "comment", "user", contactId, $"<p>{text}</p>");
                await Ferry.WaitForTicketsAsync(conversationId, t => Bodies(t[0]).Contains(text), Timeout, Ct);
            }
            else
            {
                await AgentCommentAsync(ticketId, danaAgent, $"<p>{text}</p>", isPublic: true);
                await WaitForIntercomAsync(conversationId, c => Texts(c).Contains($"<p>{text}</p>"));
            }
        }

        await SettledAsync(conversationId);
        var expected = FirstMessages.Concat(Enumerable.Range(1, 20).Select(i => $"Message {i}")).ToList();
        var ticket = await TicketAsync(conversationId);
        Assert.Equal(["Please help", .. expected], Bodies(ticket).Select(b => b.Replace("Zed Zendesk-only (Zendesk agent) wrote: ", "", StringComparison.Ordinal)));
        var thread = Texts(await IntercomAsync(conversationId));
        Assert.Equal(expected.Select(e => $"<p>{e}</p>"), thread.Select(t => t.Replace("<p><em>Zed Zendesk-only (Zendesk agent) wrote:</em></p>", "", StringComparison.Ordinal)));

        // Every message reached the customer once: in Intercom, never again by a Zendesk email.
        var emails = (await Ferry.GetAdminAsync("/admin/zendesk/notifications", Ct))["emails"]!.AsArray();
        Assert.DoesNotContain(emails, e => e!["ticket_id"]!.GetValue<long>() == ticketId);
    }

    [Fact]
    public async Task Tags_team_assignee_and_priority_follow_onto_the_ticket_and_team_Billing_lands_in_group_Billing()
    {
        var erin = await NewAdminAsync("Erin Fields", "erin.fields@ferry.example");
        var erinAgent = await ZendeskUserAsync("Erin Fields", "erin.fields@ferry.example", "agent");
        var directoryRefreshed = Task.Delay(TimeSpan.FromSeconds(3), Ct); // the agent directory refreshes every second in this fixture
        var (_, conversationId, ticketId) = await SyncedConversationAsync("dual.fields@customer.example");
        var billing = (await Ferry.PostAdminAsync("/admin/intercom/teams", new { name = "Billing", adminIds = new[] { erin } }, Ct))["id"]!.GetValue<string>();

        // Tagged and made urgent: Intercom's conversation_part.tag.created and conversation.priority.updated each start a sync.
        await PatchConversationAsync(conversationId, new { tags = Vip, priority = "urgent" });
        await Ferry.WaitForTicketsAsync(conversationId, t => t[0]["ticket"]!["priority"]?.GetValue<string>() == "urgent"
            && t[0]["ticket"]!["tags"]!.AsArray().Any(x => x!.GetValue<string>() == "vip"), Timeout, Ct);

        // Assigned to team Billing.
        await Ferry.PostAdminAsync($"/admin/intercom/conversations/{conversationId}/parts", new { partType = "assignment", authorType = "admin", authorId = erin, assignedToId = billing }, Ct);
        var followed = await Ferry.WaitForTicketsAsync(conversationId, t => Field(t[0], "group_id") == 360002, Timeout, Ct);
        Assert.Equal("urgent", followed[0]["ticket"]!["priority"]!.GetValue<string>());
        Assert.Contains("vip", followed[0]["ticket"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        // Assigned to Erin, tag removed: the assignee follows, the tag goes.
        await directoryRefreshed;
        await PatchConversationAsync(conversationId, new { tags = Array.Empty<string>() });

        await Ferry.PostAdminAsync($"/admin/intercom/conversations/{conversationId}/parts", new { partType = "assignment", authorType = "admin", authorId = erin, assignedToId = erin }, Ct);
        var assigned = await Ferry.WaitForTicketsAsync(conversationId,
            t => Field(t[0], "assignee_id") == erinAgent && !t[0]["ticket"]!["tags"]!.AsArray().Any(x => x!.GetValue<string>() == "vip"), Timeout, Ct);
        Assert.Equal(ticketId, assigned[0]["ticket"]!["id"]!.GetValue<long>());
    }

    private async Task<long> ZendeskUserAsync(string name, string email, string role) =>
        (await Ferry.PostAdminAsync("/admin/zendesk/users", new { name, email, role }, Ct))["user"]!["id"]!.GetValue<long>();

    private async Task PatchConversationAsync(string conversationId, object attributes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri($"/admin/intercom/conversations/{conversationId}", UriKind.Relative))
        {
            Content = JsonContent.Create(attributes),
        };
        using var response = await Ferry.Sandbox.SendAsync(request, Ct);
        response.EnsureSuccessStatusCode();
    }

    private Task<JsonObject> AgentCommentAsync(long ticketId, long agentId, string body, bool isPublic) =>
        Ferry.PostAdminAsync($"/admin/zendesk/tickets/{ticketId}/agent-comments", new { authorId = agentId, body, @public = isPublic }, Ct);

    private static long? Field(JsonObject ticket, string name) => ticket["ticket"]![name]?.GetValue<long?>();

    /// <summary>The ticket's comments as plain text, oldest first.</summary>
    private static List<string> Bodies(JsonObject ticket) => [.. ticket["comments"]!.AsArray().Select(c => c!["body"]!.GetValue<string>().Trim())];

    /// <summary>The conversation's comment and note bodies, oldest first (the opening message is the source, not a part).</summary>
    private static List<string> Texts(JsonObject conversation) =>
        [.. conversation["conversation_parts"]!["conversation_parts"]!.AsArray().Select(p => p!.AsObject())
            .Where(p => p["part_type"]!.GetValue<string>() is "comment" or "note").Select(p => p["body"]!.GetValue<string>())];
}
