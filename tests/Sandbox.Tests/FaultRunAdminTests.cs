using System.Net;
using System.Security.Cryptography;
using Ferry.Sandbox.Common;
using Ferry.Testing;

namespace Ferry.Sandbox.Tests;

/// <summary>The admin endpoints a fault run (issue 14) is built on: long threads in one call, injected-fault counts, upload checksums.</summary>
public sealed class FaultRunAdminTests
{
    [Fact]
    public async Task Bulk_parts_number_the_bodies_and_send_the_webhooks_asked_for()
    {
        // Nothing listens on the discard port: each delivery attempt is logged (refused), which is all this counts.
        await using var sandbox = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Intercom:WebhookUrl"] = "http://127.0.0.1:9/webhooks" });
        using var admin = new HttpClient { BaseAddress = sandbox.BaseAddress };
        var contact = sandbox.Intercom.AddContact("user", "bulk@customer.example", "Bulk");
        var (_, created) = await admin.PostJsonAsync("admin/intercom/conversations", new { contactId = contact.Id, body = "<p>Start</p>", notify = false });
        var id = created["id"]!.GetValue<string>();

        var (ok, bulk) = await admin.PostJsonAsync($"admin/intercom/conversations/{id}/parts/bulk", new { count = 3, start = 11, authorType = "user", authorId = contact.Id, body = "<p>Reply {n}</p>", webhooks = "last" });
        var (_, each) = await admin.PostJsonAsync($"admin/intercom/conversations/{id}/parts/bulk", new { count = 2, authorType = "user", authorId = contact.Id, body = "<p>More {n}</p>" });
        var (badCount, _) = await admin.PostJsonAsync($"admin/intercom/conversations/{id}/parts/bulk", new { count = 0, authorType = "user", authorId = contact.Id });
        var (missing, _) = await admin.PostJsonAsync("admin/intercom/conversations/999999/parts/bulk", new { count = 1, authorType = "user", authorId = contact.Id });

        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal(3, bulk["part_ids"]!.AsArray().Count);
        Assert.Equal(2, each["part_ids"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.BadRequest, badCount.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var conversation = sandbox.Intercom.Conversations().Single(c => c.Id == id);
        Assert.Equal(["<p>Reply 11</p>", "<p>Reply 12</p>", "<p>Reply 13</p>", "<p>More 1</p>", "<p>More 2</p>"], conversation.Parts.Select(p => p.Body));
        // No webhook for the creation, one for the "last" batch, one per part of the "each" batch.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (sandbox.Webhooks.Attempts.Select(a => a.Id).Distinct().Count() < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.Equal(3, sandbox.Webhooks.Attempts.Select(a => a.Id).Distinct().Count());
        Assert.All(sandbox.Webhooks.Attempts, a => Assert.Equal("conversation.user.replied", a.Topic));
    }

    [Fact]
    public async Task Injected_faults_are_counted_by_vendor_and_kind_and_uploads_listed_with_their_checksum()
    {
        await using var sandbox = await SandboxServer.CreateAsync();
        using var admin = new HttpClient { BaseAddress = sandbox.BaseAddress };
        using var zendesk = sandbox.CreateZendeskClient();
        using var intercom = sandbox.CreateIntercomClient();
        var bytes = "file body"u8.ToArray();
        using (var upload = new ByteArrayContent(bytes))
        {
            using var uploaded = await zendesk.PostAsync("api/v2/uploads?filename=a.txt", upload, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        }

        sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", ErrorRate = 1 };
        await zendesk.GetJsonAsync("api/v2/groups");
        sandbox.Faults.Current = new FaultSettings { Scope = "intercom", RateLimitRate = 1 };
        await intercom.GetJsonAsync("admins");
        await intercom.GetJsonAsync("admins");
        sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", DropRate = 1 };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => zendesk.GetStringAsync("api/v2/groups", TestContext.Current.CancellationToken));
        sandbox.Faults.Current = new FaultSettings();

        var (_, injected) = await admin.GetJsonAsync("admin/faults/injected");
        Assert.Equal(1, injected["zendesk"]!["errors"]!.GetValue<long>());
        Assert.Equal(1, injected["zendesk"]!["cut"]!.GetValue<long>());
        Assert.Equal(2, injected["intercom"]!["rate_limited"]!.GetValue<long>());
        Assert.Equal(0, injected["intercom"]!["errors"]!.GetValue<long>());
        var (_, uploads) = await admin.GetJsonAsync("admin/zendesk/uploads");
        var attachment = uploads["uploads"]!.AsArray().Single()!["attachments"]!.AsArray().Single()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), attachment["sha256"]!.GetValue<string>());
        Assert.Equal(bytes.Length, attachment["size"]!.GetValue<long>());

        await admin.PostJsonAsync("admin/reset", new { });
        var (_, cleared) = await admin.GetJsonAsync("admin/faults/injected");
        Assert.Equal(0, cleared["zendesk"]!["errors"]!.GetValue<long>());
    }
}
