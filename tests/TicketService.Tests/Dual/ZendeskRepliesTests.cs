using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Zendesk;
using Ferry.Testing;
using Ferry.V1;
using Npgsql;

namespace Ferry.TicketService.Tests.Dual;

/// <summary>
/// Dual-tool mode through the real TicketService, IdentityService, AttachmentService, Postgres and the sandbox: agents'
/// replies and notes written in Zendesk reach the Intercom conversation once, as the right admin, at Zendesk's time,
/// with their files (those over Dual:MaxAttachmentBytes linked in one note); nothing comes back; a reply whose
/// recording was lost is recognised, not sent again; the requester is emailed by nobody. Ferry's Zendesk credentials are
/// an OAuth token here (no Zendesk:Email): its own API user is known by id, not by address.
/// </summary>
public sealed class ZendeskRepliesTests(PostgresServer postgres, RedisServer redis) : SyncStackTests(postgres, redis, "dual_replies", Settings, attachments: true)
{
    private const string FallbackAdminEmail = "ferry-bot@sandbox.example";
    private const int MaxAttachmentBytes = 4096;

    private static Dictionary<string, string?> Settings => new()
    {
        ["Dual:RepliesToIntercom"] = "public-and-notes",
        ["Status:IntercomAdminEmail"] = FallbackAdminEmail,
        ["Dual:MaxAttachmentBytes"] = MaxAttachmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Zendesk:Email"] = "",
    };

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Sandbox.Options.Zendesk.NotifyRequesterUnlessTags.Add("ferry");
    }

    [Fact]
    public async Task Zendesk_replies_and_notes_reach_Intercom_once_and_nothing_echoes()
    {
        var (ada, _, _) = Sandbox.Scenarios.EnsureStaff();
        var bot = Sandbox.Intercom.AddAdmin("Ferry Bot", FallbackAdminEmail);
        var adaAgent = Assert.Single(Sandbox.Zendesk.Users(), u => u.HasEmail(ada.Email));
        var zoe = Sandbox.Zendesk.AddUser("Zoe Zendesk-only", $"zoe-{Guid.NewGuid():N}@sandbox.example", "agent");
        var (conversation, ticketId, first) = await ConversationWithTicketAsync();

        var reply = Comment(ticketId, adaAgent.Id, "<p>We found the bug, a fix ships today.</p>", isPublic: true);
        var note = Comment(ticketId, zoe.Id, "<p>Root cause: stale cache.</p>", isPublic: false);
        Sandbox.Stats.Reset();
        var carried = await SyncAsync(conversation.Id, first);
        Assert.Equal(Outcome.Success, carried.LastAttempt.Outcome);
        Assert.EndsWith("carried 1 Zendesk reply(ies) and 1 note(s) to Intercom", carried.LastAttempt.Reason);

        // The comments' authors come side-loaded with the comments (include=users): no user is read one by one.
        Assert.Equal(0, Sandbox.Stats.Snapshot()["zendesk"].Requests.GetValueOrDefault("GET /api/v2/users/{id:long}"));

        var parts = FromZendesk(conversation.Id);
        Assert.Equal(2, parts.Count);
        Assert.Equal(("comment", "admin", ada.Id, reply.CreatedAt.ToUnixTimeSeconds()), (parts[0].PartType, parts[0].Author.Type, parts[0].Author.Id, parts[0].CreatedAt));
        Assert.Equal("<p>We found the bug, a fix ships today.</p>", parts[0].Body);
        Assert.Equal(("note", bot.Id, note.CreatedAt.ToUnixTimeSeconds()), (parts[1].PartType, parts[1].Author.Id, parts[1].CreatedAt));
        Assert.Equal("<p><em>Zoe Zendesk-only (Zendesk agent) wrote:</em></p><p>Root cause: stale cache.</p>", parts[1].Body);

        // Intercom's webhooks for those parts (and any later sync) bring nothing back to Zendesk.
        var commentsBefore = Sandbox.Zendesk.Ticket(ticketId)!.Comments.Count;
        var again = await SyncAsync(conversation.Id, carried.LastAttempt.AttemptId);
        Assert.Equal("Up to date", again.LastAttempt.Reason);
        Assert.Equal(commentsBefore, Sandbox.Zendesk.Ticket(ticketId)!.Comments.Count);
        Assert.Equal(2, FromZendesk(conversation.Id).Count);

        // The customer answers in Intercom: one new comment in Zendesk, nothing new in Intercom.
        var customer = Sandbox.Intercom.Contacts().Single(c => c.Id == conversation.ContactIds[0]);
        Sandbox.Intercom.AddPart(conversation.Id, "comment", Sandbox.Intercom.AuthorFor(customer), "<p>Thanks, I will wait.</p>");
        var answered = await SyncAsync(conversation.Id, again.LastAttempt.AttemptId);
        Assert.Equal("Appended 1 comment(s)", answered.LastAttempt.Reason);
        Assert.Equal(commentsBefore + 1, Sandbox.Zendesk.Ticket(ticketId)!.Comments.Count);
        Assert.Equal(2, FromZendesk(conversation.Id).Count);

        // Every message reached the customer once, in Intercom: the trigger (with the "tags contain none of ferry"
        // condition docs/DUAL.md asks for) emailed nothing for this ticket.
        Assert.DoesNotContain(Sandbox.Notifications.Sent, e => e.TicketId == ticketId);
    }

    [Fact]
    public async Task A_comment_written_with_Ferrys_credentials_is_not_carried_to_Intercom()
    {
        Sandbox.Intercom.AddAdmin("Ferry Bot", FallbackAdminEmail);
        var (conversation, ticketId, first) = await ConversationWithTicketAsync();

        // Written with Ferry's token but not recorded by Ferry (a script sharing the token, a write whose recording was lost).
        Comment(ticketId, Sandbox.Zendesk.ApiUser().Id, "<p>Invoice attached.</p>", isPublic: true);
        var synced = await SyncAsync(conversation.Id, first);

        Assert.Equal(Outcome.Success, synced.LastAttempt.Outcome);
        Assert.Empty(FromZendesk(conversation.Id));
    }

    [Fact]
    public async Task A_reply_that_reached_Intercom_before_its_recording_was_lost_is_recognised_not_sent_again()
    {
        var (ada, _, _) = Sandbox.Scenarios.EnsureStaff();
        var adaAgent = Assert.Single(Sandbox.Zendesk.Users(), u => u.HasEmail(ada.Email));
        var (conversation, ticketId, first) = await ConversationWithTicketAsync();
        var reply = Comment(ticketId, adaAgent.Id, "<p>Please try again now.</p>", isPublic: true);
        var carried = await SyncAsync(conversation.Id, first);
        var part = Assert.Single(FromZendesk(conversation.Id));

        // As if the attempt had stopped right after Intercom's answer: the comment is "sending", the part unknown.
        await using (var db = new NpgsqlConnection(Stack.TicketsConnectionString))
        {
            await db.OpenAsync(Ct);
            await using var forget = new NpgsqlCommand("""
                UPDATE sync.zendesk_comments SET outcome = 'sending', intercom_part_id = NULL WHERE zendesk_comment_id = @comment;
                DELETE FROM sync.synced_parts WHERE part_id = @part AND conversation_id = @conversation;
                DELETE FROM sync.zendesk_scans WHERE ticket_id = @ticket;
                """, db);
            forget.Parameters.AddWithValue("comment", reply.Id);
            forget.Parameters.AddWithValue("part", part.Id);
            forget.Parameters.AddWithValue("conversation", conversation.Id);
            forget.Parameters.AddWithValue("ticket", ticketId);
            await forget.ExecuteNonQueryAsync(Ct);
        }

        var commentsBefore = Sandbox.Zendesk.Ticket(ticketId)!.Comments.Count;
        var retried = await SyncAsync(conversation.Id, carried.LastAttempt.AttemptId);
        Assert.Equal("Up to date", retried.LastAttempt.Reason);
        Assert.Equal(part.Id, Assert.Single(FromZendesk(conversation.Id)).Id);
        Assert.Equal(commentsBefore, Sandbox.Zendesk.Ticket(ticketId)!.Comments.Count);
    }

    [Fact]
    public async Task Files_reach_Intercom_inside_the_reply_and_one_over_the_cap_is_linked_in_one_note()
    {
        var (conversation, ticketId, first, agentId, reply, small, large) = await ReplyWithFilesAsync(("screenshot.png", "image/png", 300), ("trace.log", "text/plain", MaxAttachmentBytes + 1));
        var (noteToken, noteLarge) = Upload("dump.bin", "application/octet-stream", FileBytes(MaxAttachmentBytes * 2));
        Comment(ticketId, agentId, "<p>Full dump attached.</p>", isPublic: false, [noteToken]);

        var carried = await SyncAsync(conversation.Id, first);
        Assert.Equal(Outcome.Success, carried.LastAttempt.Outcome);
        var parts = FromZendesk(conversation.Id);
        Assert.Equal(["comment", "note", "note"], parts.Select(p => p.PartType));

        // The reply carries the small file itself, byte for byte; the large one is only named, with its Zendesk link, in one note.
        var file = Assert.Single(parts[0].Attachments);
        Assert.Equal(("screenshot.png", "image/png"), (file.Name, file.ContentType));
        Assert.Equal(small, Sandbox.Intercom.StoredFile(file.Seed));
        Assert.Empty(parts[1].Attachments);
        Assert.Equal(reply.CreatedAt.ToUnixTimeSeconds(), parts[1].CreatedAt);
        Assert.Contains(ContentUrl(large), parts[1].Body);
        Assert.Contains("trace.log", parts[1].Body);
        Assert.DoesNotContain("screenshot.png", parts[1].Body);

        // An internal note lists its own files at its end: no second note.
        Assert.Empty(parts[2].Attachments);
        Assert.StartsWith("<p>Full dump attached.</p>", parts[2].Body);
        Assert.Contains(ContentUrl(noteLarge), parts[2].Body);

        var again = await SyncAsync(conversation.Id, carried.LastAttempt.AttemptId);
        Assert.Equal("Up to date", again.LastAttempt.Reason);
        Assert.Equal(3, FromZendesk(conversation.Id).Count);
    }

    [Fact]
    public async Task A_reply_whose_answer_was_cut_is_not_sent_again_and_its_links_note_is_sent_once()
    {
        var (conversation, _, first, _, _, small, _) = await ReplyWithFilesAsync(("invoice.pdf", "application/pdf", 500), ("video.mp4", "video/mp4", MaxAttachmentBytes + 10));

        // Intercom takes the reply, then its answer is cut: the attempt fails after the reply landed, before the links note.
        Sandbox.Faults.Current = new Ferry.Sandbox.Common.FaultSettings { Scope = "intercom", PathContains = "/reply", Method = "POST", CutFirst = 1 };
        var carried = await SyncAsync(conversation.Id, first);
        Assert.Equal(1, Sandbox.Faults.Injected()["intercom"]["cut"]);
        // The failed attempt is logged with the way its interrupted write went, not the default.
        var log = await Stack.Sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversation.Id }, cancellationToken: Ct);
        var failed = Assert.Single(log.Attempts, a => a.Outcome == Outcome.Failure);
        Assert.Equal(("zendesk->intercom", "zendesk"), (failed.Direction, failed.Origin));

        var parts = FromZendesk(conversation.Id);
        Assert.Equal(["comment", "note"], parts.Select(p => p.PartType));
        Assert.Equal(small, Sandbox.Intercom.StoredFile(Assert.Single(parts[0].Attachments).Seed));
        Assert.Contains("video.mp4", parts[1].Body);

        var again = await SyncAsync(conversation.Id, carried.LastAttempt.AttemptId);
        Assert.Equal("Up to date", again.LastAttempt.Reason);
        Assert.Equal(2, FromZendesk(conversation.Id).Count);
    }

    /// <summary>A ticket with an agent's public reply carrying a file under the cap and one over it.</summary>
    private async Task<(IcConversation Conversation, long TicketId, long AttemptId, long AgentId, ZdComment Reply, byte[] Small, ZdAttachment Large)> ReplyWithFilesAsync(
        (string Name, string Type, int Size) small, (string Name, string Type, int Size) large)
    {
        var (ada, _, _) = Sandbox.Scenarios.EnsureStaff();
        var agent = Assert.Single(Sandbox.Zendesk.Users(), u => u.HasEmail(ada.Email));
        var (conversation, ticketId, first) = await ConversationWithTicketAsync();
        var smallBytes = FileBytes(small.Size);
        var (smallToken, _) = Upload(small.Name, small.Type, smallBytes);
        var (largeToken, largeFile) = Upload(large.Name, large.Type, FileBytes(large.Size));
        var reply = Comment(ticketId, agent.Id, $"<p>{small.Name} and {large.Name} attached.</p>", isPublic: true, [smallToken, largeToken]);
        return (conversation, ticketId, first, agent.Id, reply, smallBytes, largeFile);
    }

    private static byte[] FileBytes(int size) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(size);

    private (string Token, ZdAttachment Attachment) Upload(string name, string contentType, byte[] bytes)
    {
        var result = Sandbox.Zendesk.AddUpload(null, name, contentType, bytes.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), bytes);
        Assert.Null(result.Error);
        return (result.Value.Upload.Token, result.Value.Attachment);
    }

    private string ContentUrl(ZdAttachment attachment) =>
        System.Net.WebUtility.HtmlEncode(ZendeskJson.ContentUrl(attachment, new Uri(Sandbox.BaseAddress, "zendesk").ToString()));

    [Fact]
    public async Task A_Zendesk_reply_to_a_conversation_deleted_in_Intercom_waits_for_an_operator_but_a_solve_does_not()
    {
        var (ada, _, _) = Sandbox.Scenarios.EnsureStaff();
        var adaAgent = Assert.Single(Sandbox.Zendesk.Users(), u => u.HasEmail(ada.Email));
        var (conversation, ticketId, first) = await ConversationWithTicketAsync();
        Assert.True(Sandbox.Intercom.DeleteConversation(conversation.Id));
        await Stack.HandOverIntercomAsync(conversation.Id, "conversation.deleted", Ct);
        var deleted = await Stack.WaitForAttemptAsync(conversation.Id, Ct, after: first);
        Assert.Equal(Outcome.Skipped, deleted.LastAttempt.Outcome);

        // A solve has nowhere to go and needs nobody.
        await Stack.HandOverZendeskAsync(ticketId, conversation.Id, "solved", Ct);
        var solved = await Stack.WaitForAttemptAsync(conversation.Id, Ct, after: deleted.LastAttempt.AttemptId);
        Assert.Equal(Outcome.Skipped, solved.LastAttempt.Outcome);

        // An agent's reply would have reached the customer only through Intercom: an operator must hear of it.
        var reply = Comment(ticketId, adaAgent.Id, "<p>Are you still there?</p>", isPublic: true);
        await Stack.HandOverZendeskAsync(ticketId, conversation.Id, "open", Ct, commentId: reply.Id);
        var stranded = await Stack.WaitForFailureAsync(conversation.Id, solved.LastAttempt.AttemptId, Ct);
        Assert.Equal(JobState.Dead, stranded.JobState);
        Assert.Equal($"Conversation deleted in Intercom: a comment added in Zendesk to ticket {ticketId} cannot reach it (a reply would never reach the customer); its ticket keeps its history.", stranded.LastAttempt.Reason);
    }

    private async Task<(IcConversation Conversation, long TicketId, long AttemptId)> ConversationWithTicketAsync()
    {
        var contact = Sandbox.Intercom.AddContact("user", $"cy-{Guid.NewGuid():N}@customers.example", "Cy Customer");
        var conversation = Sandbox.Intercom.CreateConversation(contact, "Export broken", "<p>The export is empty.</p>");
        var created = await SyncAsync(conversation.Id, 0);
        Assert.Equal(Outcome.Success, created.LastAttempt.Outcome);
        return (conversation, created.TicketId, created.LastAttempt.AttemptId);
    }

    private ZdComment Comment(long ticketId, long agentId, string html, bool isPublic, IReadOnlyList<string>? uploads = null)
    {
        var result = Sandbox.AgentDesk.Comment(ticketId, agentId, html, isPublic, uploads: uploads);
        Assert.Null(result.Error);
        return result.Value!;
    }

    private Task<SyncState> SyncAsync(string conversationId, long after) => Stack.RequestAndWaitAsync(conversationId, after, Ct);

    /// <summary>The admin parts Ferry wrote (the conversation has no others here).</summary>
    private List<IcPart> FromZendesk(string conversationId)
    {
        lock (Sandbox.Intercom.Gate)
        {
            return [.. Sandbox.Intercom.Conversation(conversationId)!.Parts.Where(p => p.Author.Type == "admin")];
        }
    }
}
