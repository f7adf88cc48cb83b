using Ferry.Sandbox.Common;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.AttachmentService.Tests;

/// <summary>
/// Transient or permanent, per file: a transient failure makes the caller retry the part (with fresh
/// URLs), so the part's uploads are discarded; a refusal is final and says why in ticket-safe terms.
/// A sandbox of this class's own, because the tests inject faults.
/// </summary>
public sealed class OutcomeTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;
    private AttachmentServiceHost _service = null!;
    private TestOrigin _origin = null!;

    public async ValueTask InitializeAsync()
    {
        _sandbox = await SandboxServer.CreateAsync();
        _service = await AttachmentServiceHost.StartAsync(_sandbox);
        _origin = await TestOrigin.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _origin.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private async Task<CopyReply> CopyAsync(params SourceAttachment[] attachments)
    {
        var request = new CopyRequest { ConversationId = "c-3", PartId = "p-3" };
        request.Attachments.AddRange(attachments);
        return await _service.Client.CopyAsync(request, cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_download_that_fails_twice_then_works_is_copied_within_the_call()
    {
        _sandbox.Faults.Current = new FaultSettings { Scope = "intercom", PathContains = "/intercom-attachments/", FailFirst = 2, ErrorStatus = 503 };

        var reply = await CopyAsync(_sandbox.Attachment("twice.txt", "text/plain", 500));

        Assert.Equal(CopyOutcome.Copied, Assert.Single(reply.Files).Outcome);
        Assert.Equal("twice.txt", Assert.Single(_sandbox.Upload(reply.UploadToken).Attachments).FileName);
    }

    [Fact]
    public async Task An_expired_url_is_transient_the_rest_of_the_part_waits_and_its_uploads_are_deleted()
    {
        var first = _sandbox.Attachment("first.txt", "text/plain", 10);
        var expired = _sandbox.Attachment("expired.png", "image/png", 20);
        var last = _sandbox.Attachment("last.txt", "text/plain", 30);
        var uploadsBefore = _sandbox.Zendesk.Uploads().Count;
        var reply = await CopyWithFaultOnAsync(expired, 403, first, expired, last);

        Assert.Equal([CopyOutcome.Copied, CopyOutcome.Failed, CopyOutcome.Failed], reply.Files.Select(f => f.Outcome));
        Assert.Contains("source answered 403", reply.Files[1].Reason, StringComparison.Ordinal);
        Assert.Contains("not tried", reply.Files[2].Reason, StringComparison.Ordinal);
        Assert.All(reply.Files, f => Assert.Equal(CopyRefusal.Unspecified, f.Refusal));
        Assert.Empty(reply.UploadToken);
        Assert.Equal(uploadsBefore, _sandbox.Zendesk.Uploads().Count);
    }

    [Fact]
    public async Task A_file_whose_answer_was_lost_while_it_joined_the_parts_token_is_not_sent_again_the_part_is_retried_whole()
    {
        // Zendesk takes the second file into the first's token, and the answer is cut. Sent again in the same call, the
        // file would be in the token, and so in the comment, twice.
        var first = _sandbox.Attachment("first.txt", "text/plain", 10);
        var joining = _sandbox.Attachment("photo.jpg", "image/jpeg", 3000);
        var uploadsBefore = _sandbox.Zendesk.Uploads().Count;
        _sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", PathContains = "&token=", CutFirst = 1 };
        CopyReply reply;
        try
        {
            reply = await CopyAsync(first, joining);
        }
        finally
        {
            _sandbox.Faults.Current = new FaultSettings();
        }

        Assert.Equal([CopyOutcome.Copied, CopyOutcome.Failed], reply.Files.Select(f => f.Outcome));
        Assert.Contains("not sent again", reply.Files[1].Reason, StringComparison.Ordinal);
        Assert.Empty(reply.UploadToken);
        Assert.Equal(uploadsBefore, _sandbox.Zendesk.Uploads().Count);
    }

    [Fact]
    public async Task Refusals_say_why_in_kinds_fit_for_a_ticket()
    {
        var key = Guid.NewGuid().ToString("N");
        var reply = await CopyAsync(
            new SourceAttachment { Url = "https://files.evil.example/a.pdf", Name = "a.pdf" },
            _sandbox.Attachment("huge.bin", "application/octet-stream", 10, reportedSize: 60L * 1024 * 1024),
            new SourceAttachment { Url = $"{_origin.Base}/status/{key}/404", Name = "deleted.png" },
            _sandbox.Attachment("ok.txt", "text/plain", 10));

        Assert.Equal([CopyOutcome.Refused, CopyOutcome.Refused, CopyOutcome.Refused, CopyOutcome.Copied], reply.Files.Select(f => f.Outcome));
        Assert.Equal([CopyRefusal.SourceNotAllowed, CopyRefusal.TooLarge, CopyRefusal.Gone, CopyRefusal.Unspecified], reply.Files.Select(f => f.Refusal));
        Assert.Equal(1, _origin.Hits(key));
        Assert.Equal("ok.txt", Assert.Single(_sandbox.Upload(reply.UploadToken).Attachments).FileName);
    }

    [Theory]
    [InlineData(0L, CopyRefusal.Empty)]
    [InlineData(10L, CopyRefusal.Rejected)]
    public async Task A_file_Zendesk_rejects_is_refused_at_once(long size, CopyRefusal refusal)
    {
        _sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", PathContains = "/uploads", ErrorRate = 1, ErrorStatus = 422 };

        var file = Assert.Single((await CopyAsync(_sandbox.Attachment("file.txt", "text/plain", size))).Files);

        Assert.Equal(CopyOutcome.Refused, file.Outcome);
        Assert.Equal(refusal, file.Refusal);
    }

    [Fact]
    public async Task Zendesk_refusing_the_credentials_is_transient()
    {
        _sandbox.Faults.Current = new FaultSettings { Scope = "zendesk", PathContains = "/uploads", ErrorRate = 1, ErrorStatus = 401 };

        var file = Assert.Single((await CopyAsync(_sandbox.Attachment("file.txt", "text/plain", 10))).Files);

        Assert.Equal(CopyOutcome.Failed, file.Outcome);
    }

    private async Task<CopyReply> CopyWithFaultOnAsync(SourceAttachment target, int status, params SourceAttachment[] files)
    {
        _sandbox.Faults.Current = new FaultSettings { Scope = "intercom", PathContains = new Uri(target.Url).AbsolutePath, FailFirst = 1, ErrorStatus = status };
        return await CopyAsync(files);
    }
}
