using Ferry.TicketService.Sync;
using Ferry.TicketService.Vendors.Intercom;

namespace Ferry.TicketService.Tests.Sync;

public sealed class TicketPlannerTests
{
    private static readonly SyncOptions Options = new();

    private static IntercomConversation Conversation(
        string? title = null, string state = "open", string? sourceBody = "<p>Hello <b>there</b></p>", List<IntercomPart>? parts = null, int? total = null, List<IntercomTag>? tags = null) =>
        new("42", title, 1_700_000_000, 1_700_000_500, state, state == "open", null, null,
            new IntercomTagList(tags ?? []),
            new IntercomSource("s1", null, sourceBody, "customer_initiated", new IntercomAuthor("u1", "user", "Ann", "ann@example.com"), []),
            new IntercomContactList([new IntercomContactRef("u1", null)]),
            new IntercomPartList(parts ?? [], total ?? parts?.Count ?? 0),
            null, null);

    private static IntercomPart Part(string id, string type, long at, string? body = "<p>x</p>", string authorType = "admin", IReadOnlyList<IntercomAttachment>? attachments = null) =>
        new(id, type, body, at, new IntercomAuthor("a1", authorType, "Bob", "bob@example.com"), attachments ?? [], null);

    [Fact]
    public void The_thread_is_the_opening_message_then_every_part_oldest_first()
    {
        var conversation = Conversation(parts: [Part("p2", "comment", 1_700_000_200), Part("p1", "note", 1_700_000_100)]);

        var thread = TicketPlanner.Thread(conversation);

        Assert.Equal(["source", "p1", "p2"], thread.Select(i => i.PartId));
        Assert.True(thread[1].IsPrivate);
        Assert.False(thread[2].IsPrivate);
    }

    [Theory]
    [InlineData("assignment", null)]
    [InlineData("close", null)]
    [InlineData("open", "<p></p>")]
    [InlineData("snoozed", null)]
    [InlineData("conversation_attribute_updated_by_admin", null)]
    [InlineData("comment", null)]
    [InlineData("comment", "<p> </p>")]
    public void Parts_without_text_or_files_are_events(string partType, string? body)
    {
        var item = TicketPlanner.Thread(Conversation(parts: [Part("p", partType, 1_700_000_100, body)]))[1];
        Assert.True(item.IsEvent);
    }

    [Theory]
    [InlineData("comment", false)]
    [InlineData("note", true)]
    [InlineData("close", false)]
    [InlineData("assignment", false)]
    [InlineData("assign_and_reopen", false)]
    [InlineData("snoozed", false)]
    [InlineData("open", false)]
    [InlineData("away_mode_assignment", false)]
    [InlineData("conversation_attribute_updated_by_admin", true)]
    [InlineData("custom_action_finished", true)]
    public void Every_part_with_text_is_a_comment_public_only_when_the_customer_saw_it(string partType, bool isPrivate)
    {
        var item = TicketPlanner.Thread(Conversation(parts: [Part("p", partType, 1_700_000_100, "<p>We are closing this, thanks!</p>")]))[1];
        Assert.False(item.IsEvent);
        Assert.Equal(isPrivate, item.IsPrivate);
    }

    [Fact]
    public void Ferrys_own_closing_note_is_an_event_while_a_person_closing_with_a_message_is_a_comment()
    {
        var thread = TicketPlanner.Thread(Conversation(parts:
        [
            Part("ferry", "close", 1_700_000_100, "<p>Solved in Zendesk.</p>"),
            Part("person", "close", 1_700_000_200, "<p>Closing this, write back any time.</p>"),
        ]));

        var items = TicketPlanner.WithoutFerrysClosingNote(thread, "Solved in Zendesk.");

        Assert.True(items.Single(i => i.PartId == "ferry").IsEvent);
        Assert.False(items.Single(i => i.PartId == "person").IsEvent);
        Assert.Same(thread, TicketPlanner.WithoutFerrysClosingNote(thread, null));
    }

    [Fact]
    public void An_empty_comment_with_an_attachment_is_still_a_comment()
    {
        var attachment = new IntercomAttachment("upload", "a.png", "https://x/a.png", "image/png", 10);
        var item = TicketPlanner.Thread(Conversation(parts: [Part("p", "comment", 1_700_000_100, null, attachments: [attachment])]))[1];
        Assert.False(item.IsEvent);
    }

    [Theory]
    [InlineData("Billing question", "<p>ignored</p>", "Billing question")]
    [InlineData(null, "<p>Hello <b>there</b>&nbsp;friend</p>", "Hello there friend")]
    [InlineData("", null, "Intercom conversation 42")]
    public void Subject_comes_from_the_title_else_the_first_message(string? title, string? body, string expected)
    {
        Assert.Equal(expected, TicketPlanner.Subject(Conversation(title, sourceBody: body)));
    }

    [Fact]
    public void Long_subjects_are_cut_with_an_ellipsis()
    {
        var subject = TicketPlanner.Subject(Conversation(new string('a', 500)));
        Assert.Equal(TicketPlanner.SubjectLength, subject.Length);
        Assert.EndsWith("…", subject, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("open", "open")]
    [InlineData("closed", "solved")]
    [InlineData("snoozed", "pending")]
    public void Status_maps_by_policy(string state, string status)
    {
        Assert.Equal(status, TicketPlanner.Status(Conversation(state: state), Options));
        Assert.Equal("hold", TicketPlanner.Status(Conversation(state: "snoozed"), new SyncOptions { SnoozedStatus = "hold" }));
    }

    [Fact]
    public void Tags_are_zendesk_safe_and_marked_as_ferry()
    {
        var tags = TicketPlanner.Tags(Conversation(tags: [new IntercomTag("1", "VIP Customer"), new IntercomTag("2", "billing"), new IntercomTag("3", "Billing")]), "ferry");
        Assert.Equal(["vip_customer", "billing", "ferry"], tags);
    }

    [Fact]
    public void Missing_parts_are_those_neither_synced_before_nor_returned_now()
    {
        var parts = Enumerable.Range(100, 500).Select(i => Part($"p{i}", "comment", 1_700_000_000 + i)).ToList();
        Assert.Equal(100, TicketPlanner.Missing(Conversation(parts: parts, total: 600), new HashSet<string>()));
        Assert.Equal(0, TicketPlanner.Missing(Conversation(parts: parts), new HashSet<string>()));

        // Parts synced while they were still in the window are not missing.
        var syncedEarlier = Enumerable.Range(0, 30).Select(i => $"p{i}").Append("source").ToHashSet();
        Assert.Equal(70, TicketPlanner.Missing(Conversation(parts: parts, total: 600), syncedEarlier));

        // Ferry's notes about refused attachments are ledger rows, not parts.
        syncedEarlier.UnionWith(Enumerable.Range(0, 30).Select(i => AttachmentNotes.NotePartId($"p{i}")));
        Assert.Equal(70, TicketPlanner.Missing(Conversation(parts: parts, total: 600), syncedEarlier));
    }

    [Fact]
    public void Comment_html_keeps_the_body_and_adds_byline_and_attachment_note_encoded()
    {
        var item = TicketPlanner.Thread(Conversation(parts: [Part("p", "note", 1_700_000_100, "<p>Body</p>", "bot")]))[1];
        var html = TicketPlanner.CommentHtml(item, "Fin <bot> wrote:", AttachmentNotes.Folded([new RefusedFile("big<1>.zip", "it is larger than the attachment size limit")]));

        Assert.StartsWith("<p><em>Fin &lt;bot&gt; wrote:</em></p><p>Body</p>", html, StringComparison.Ordinal);
        Assert.Contains("<li>big&lt;1&gt;.zip: it is larger than the attachment size limit</li>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("intercom-conversation-123", "123")]
    [InlineData("intercom-conversation-", null)]
    [InlineData("zendesk-native-5", null)]
    [InlineData(null, null)]
    public void Only_Ferry_external_ids_lead_back_to_a_conversation(string? externalId, string? conversationId)
    {
        Assert.Equal(conversationId, Ferry.ServiceDefaults.Vendors.VendorEvents.ConversationIdFromExternalId(externalId));
        if (conversationId is not null)
        {
            Assert.Equal(externalId, TicketPlanner.ExternalId(conversationId));
        }
    }
}
