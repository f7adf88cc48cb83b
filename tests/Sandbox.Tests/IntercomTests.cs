using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ferry.Sandbox.Intercom;
using Ferry.Testing;

namespace Ferry.Sandbox.Tests;

public sealed class IntercomTests(SandboxServer sandbox)
{
    [Fact]
    public async Task Get_conversation_returns_the_500_most_recent_parts_and_the_true_total()
    {
        using var intercom = sandbox.CreateIntercomClient();
        var contact = sandbox.Intercom.AddContact("user", $"{TestJson.Unique("c")}@x.example", "C");
        var admin = sandbox.Intercom.AddAdmin("A", $"{TestJson.Unique("a")}@x.example");
        var conversation = sandbox.Intercom.CreateConversation(contact, "Long", "<p>start</p>");
        for (var i = 0; i < 620; i++)
        {
            sandbox.Intercom.AddPart(conversation.Id, "comment", IntercomState.AuthorFor(admin), $"<p>{i}</p>", at: 1_700_000_000 + i);
        }

        var (response, body) = await intercom.GetJsonAsync($"conversations/{conversation.Id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var parts = body["conversation_parts"]!;
        Assert.Equal(620, parts["total_count"]!.GetValue<int>());
        Assert.Equal(500, parts["conversation_parts"]!.AsArray().Count);
        Assert.Equal("<p>120</p>", parts["conversation_parts"]![0]!["body"]!.GetValue<string>());
        Assert.Equal("<p>619</p>", parts["conversation_parts"]![499]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Search_filters_by_updated_at_and_pages_with_a_cursor()
    {
        await using var own = await SandboxServer.CreateAsync();
        using var intercom = own.CreateIntercomClient();
        var contact = own.Intercom.AddContact("user", "c@x.example", "C");
        for (var i = 0; i < 7; i++)
        {
            own.Intercom.CreateConversation(contact, $"S{i}", "<p>b</p>", createdAt: 1_700_000_000 + (i * 100));
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var (response, page) = await intercom.PostJsonAsync("conversations/search", new
            {
                query = new { @operator = "AND", value = new object[] { new { field = "updated_at", @operator = ">", value = 1_700_000_150 } } },
                pagination = cursor is null ? (object)new { per_page = 2 } : new { per_page = 2, starting_after = cursor },
            });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(5, page["total_count"]!.GetValue<int>());
            seen.AddRange(page["conversations"]!.AsArray().Select(c => c!["title"]!.GetValue<string>()));
            cursor = page["pages"]!["next"]?["starting_after"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Equal(["S2", "S3", "S4", "S5", "S6"], seen);

        var (tooMany, error) = await intercom.PostJsonAsync("conversations/search", new
        {
            query = new { field = "updated_at", @operator = ">", value = 0 },
            pagination = new { per_page = 151 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal("error.list", error["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reply_note_close_open_and_snooze_change_the_conversation()
    {
        using var intercom = sandbox.CreateIntercomClient();
        var contact = sandbox.Intercom.AddContact("lead", null, "Visitor");
        var admin = sandbox.Intercom.AddAdmin("A", $"{TestJson.Unique("a")}@x.example");
        var conversation = sandbox.Intercom.CreateConversation(contact, "", "<p>hi</p>");
        var path = $"conversations/{conversation.Id}";

        await intercom.PostJsonAsync($"{path}/reply", new { message_type = "comment", type = "admin", admin_id = admin.Id, body = "<p>Hello</p>" });
        await intercom.PostJsonAsync($"{path}/reply", new { message_type = "note", type = "admin", admin_id = admin.Id, body = "<p>Note</p>" });
        var (_, closed) = await intercom.PostJsonAsync($"{path}/parts", new { message_type = "close", type = "admin", admin_id = admin.Id });
        Assert.Equal("closed", closed["state"]!.GetValue<string>());
        var (_, opened) = await intercom.PostJsonAsync($"{path}/parts", new { message_type = "open", admin_id = admin.Id });
        Assert.Equal("open", opened["state"]!.GetValue<string>());
        var (_, snoozed) = await intercom.PostJsonAsync($"{path}/parts", new { message_type = "snoozed", admin_id = admin.Id, snoozed_until = sandbox.Clock.UnixNow + 3600 });
        Assert.Equal("snoozed", snoozed["state"]!.GetValue<string>());

        var types = snoozed["conversation_parts"]!["conversation_parts"]!.AsArray().Select(p => p!["part_type"]!.GetValue<string>());
        Assert.Equal(["comment", "note", "close", "open", "snoozed"], types);

        var (bad, _) = await intercom.PostJsonAsync($"{path}/parts", new { message_type = "explode", admin_id = admin.Id });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var (missing, _) = await intercom.GetJsonAsync("conversations/999999999");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Attachments_download_from_signed_urls_that_expire()
    {
        await using var own = await SandboxServer.CreateAsync();
        using var intercom = own.CreateIntercomClient();
        var contact = own.Intercom.AddContact("user", "c@x.example", "C");
        var attachment = new IcAttachment("report 1.pdf", "application/pdf", 300_000, 1234);
        var conversation = own.Intercom.CreateConversation(contact, "Files", "<p>see file</p>", [attachment]);

        var (_, body) = await intercom.GetJsonAsync($"conversations/{conversation.Id}");
        var url = body["source"]!["attachments"]![0]!["url"]!.GetValue<string>();
        Assert.Contains("signature=", url, StringComparison.Ordinal);

        using var anonymous = new HttpClient();
        var bytes = await anonymous.GetByteArrayAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(300_000, bytes.Length);
        Assert.Equal(AttachmentContent.Sha256(1234, 300_000), Convert.ToHexStringLower(SHA256.HashData(bytes)));

        using var tampered = await anonymous.GetAsync(url.Replace("300000", "300001", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);

        own.Clock.Advance(TimeSpan.FromHours(2));
        using var expired = await anonymous.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
    }

    [Fact]
    public async Task Rate_limit_answers_429_with_intercom_headers()
    {
        await using var own = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Intercom:RateLimitPer10Seconds"] = "1" });
        using var intercom = own.CreateIntercomClient();
        var (first, _) = await intercom.GetJsonAsync("admins");
        Assert.Equal("1", first.Headers.GetValues("X-RateLimit-Limit").Single());
        Assert.True(long.Parse(first.Headers.GetValues("X-RateLimit-Reset").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        var (limited, _) = await intercom.GetJsonAsync("admins");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public async Task Contacts_admins_teams_and_tags_are_listed()
    {
        using var intercom = sandbox.CreateIntercomClient();
        var (admin, _, team) = sandbox.Scenarios.EnsureStaff();
        var lead = sandbox.Intercom.AddContact("lead", null, "No email", externalId: null);

        var (_, contact) = await intercom.GetJsonAsync($"contacts/{lead.Id}");
        Assert.Equal("lead", contact["role"]!.GetValue<string>());
        var (_, admins) = await intercom.GetJsonAsync("admins");
        Assert.Contains(admins["admins"]!.AsArray(), a => a!["id"]!.GetValue<string>() == admin.Id);
        var (_, teams) = await intercom.GetJsonAsync("teams");
        Assert.Contains(teams["teams"]!.AsArray(), t => t!["id"]!.GetValue<string>() == team.Id);
        var (tags, _) = await intercom.GetJsonAsync("tags");
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
    }

    [Fact]
    public async Task A_lead_merged_into_a_user_answers_410_with_the_user_as_canonical_and_its_conversations_become_the_users()
    {
        using var intercom = sandbox.CreateIntercomClient();
        var email = $"{TestJson.Unique("merge")}@x.example";
        var lead = sandbox.Intercom.AddContact("lead", email, "Visitor");
        var user = sandbox.Intercom.AddContact("user", email, "Signed Up");
        var stranger = sandbox.Intercom.AddContact("lead", $"{TestJson.Unique("other")}@x.example", "Other");
        var conversation = sandbox.Intercom.CreateConversation(lead, "Before signing up", "<p>hello</p>");

        var (refused, error) = await intercom.PostJsonAsync("contacts/merge", new { from = stranger.Id, into = user.Id });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("invalid_merge", error["errors"]![0]!["code"]!.GetValue<string>());

        var (merged, into) = await intercom.PostJsonAsync("contacts/merge", new { from = lead.Id, into = user.Id });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        Assert.Equal(user.Id, into["id"]!.GetValue<string>());

        var (gone, body) = await intercom.GetJsonAsync($"contacts/{lead.Id}");
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal($"</contacts/{user.Id}>; rel=\"canonical\"", gone.Headers.GetValues("Link").Single());
        Assert.Equal("contact_merged", body["errors"]![0]!["code"]!.GetValue<string>());
        var (_, read) = await intercom.GetJsonAsync($"conversations/{conversation.Id}");
        Assert.Equal([user.Id], read["contacts"]!["contacts"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        Assert.Equal(lead.Id, read["source"]!["author"]!["id"]!.GetValue<string>());
        var (_, list) = await intercom.GetJsonAsync("contacts");
        Assert.DoesNotContain(list["data"]!.AsArray(), c => c!["id"]!.GetValue<string>() == lead.Id);
    }

    [Fact]
    public async Task A_deleted_contact_answers_404_and_leaves_the_list_while_its_conversations_stay()
    {
        using var intercom = sandbox.CreateIntercomClient();
        var contact = sandbox.Intercom.AddContact("user", $"{TestJson.Unique("gone")}@x.example", "Gone Soon", externalId: "ext-gone");
        var conversation = sandbox.Intercom.CreateConversation(contact, "Before", "<p>hello</p>");

        var deleted = await intercom.DeleteAsync($"contacts/{contact.Id}", TestContext.Current.CancellationToken);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await deleted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal((contact.Id, "ext-gone", true), (body["id"]!.GetValue<string>(), body["external_id"]!.GetValue<string>(), body["deleted"]!.GetValue<bool>()));
        Assert.Equal(HttpStatusCode.NotFound, (await intercom.GetJsonAsync($"contacts/{contact.Id}")).Response.StatusCode);
        var (_, list) = await intercom.GetJsonAsync("contacts");
        Assert.DoesNotContain(list["data"]!.AsArray(), c => c!["id"]!.GetValue<string>() == contact.Id);
        Assert.Equal(HttpStatusCode.OK, (await intercom.GetJsonAsync($"conversations/{conversation.Id}")).Response.StatusCode);
    }
}
