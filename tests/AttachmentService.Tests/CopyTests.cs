using System.Security.Cryptography;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.AttachmentService.Tests;

/// <summary>
/// Copy through the real gRPC surface: sandbox Intercom URLs → sandbox Zendesk uploads; and Fetch (dual mode: a Zendesk
/// comment's file for its Intercom reply): the sandbox's Zendesk attachment comes back whole, the caller's cap, the
/// Zendesk host list and the address checks hold.
/// </summary>
public sealed class CopyTests(SandboxServer sandbox) : IAsyncLifetime
{
    private AttachmentServiceHost _service = null!;
    private TestOrigin _origin = null!;

    public async ValueTask InitializeAsync()
    {
        _service = await AttachmentServiceHost.StartAsync(sandbox);
        _origin = await TestOrigin.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _origin.DisposeAsync();
    }

    private Task<CopyReply> CopyAsync(params SourceAttachment[] attachments)
    {
        var request = new CopyRequest { ConversationId = "c-1", PartId = "p-1" };
        request.Attachments.AddRange(attachments);
        return _service.Client.CopyAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync;
    }

    [Fact]
    public async Task Empty_small_and_several_files_join_one_token_byte_identical()
    {
        SourceAttachment[] files =
        [
            sandbox.Attachment("empty.txt", "text/plain", 0),
            sandbox.Attachment("note.txt", "text/plain", 1234),
            sandbox.Attachment("photo one.png", "image/png", 300_000),
        ];

        var reply = await CopyAsync(files);

        Assert.NotEmpty(reply.UploadToken);
        Assert.All(reply.Files, f => Assert.Equal(CopyOutcome.Copied, f.Outcome));
        Assert.Equal([0L, 1234L, 300_000L], reply.Files.Select(f => f.Bytes));
        var upload = sandbox.Upload(reply.UploadToken);
        Assert.Equal(files.Select(f => f.Name), upload.Attachments.Select(a => a.FileName));
        Assert.Equal(files.Select(f => f.ContentType), upload.Attachments.Select(a => a.ContentType));
        Assert.Equal(files.Select(f => f.Size), upload.Attachments.Select(a => a.Size));
        Assert.Equal(files.Select(Sandboxes.ExpectedSha256), upload.Attachments.Select(a => a.Sha256));
    }

    [Fact]
    public async Task A_50_MB_file_arrives_byte_identical()
    {
        var file = sandbox.Attachment("big.zip", "application/zip", 50L * 1024 * 1024);

        var reply = await CopyAsync(file);

        var copied = Assert.Single(reply.Files);
        Assert.Equal(CopyOutcome.Copied, copied.Outcome);
        Assert.Equal(file.Size, copied.Bytes);
        var stored = Assert.Single(sandbox.Upload(reply.UploadToken).Attachments);
        Assert.Equal(file.Size, stored.Size);
        Assert.Equal(Sandboxes.ExpectedSha256(file), stored.Sha256);
    }

    [Fact]
    public async Task A_host_off_the_allow_list_is_refused_and_no_token_is_made()
    {
        var reply = await CopyAsync(new SourceAttachment { Url = "https://files.evil.example/a.pdf", Name = "a.pdf", ContentType = "application/pdf" });

        Assert.Empty(reply.UploadToken);
        var file = Assert.Single(reply.Files);
        Assert.Equal(CopyOutcome.Refused, file.Outcome);
        Assert.Contains("host files.evil.example is not an allowed attachment host", file.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_private_ip_literal_is_refused_even_when_its_host_is_listed()
    {
        var reply = await CopyAsync(new SourceAttachment { Url = "http://10.0.0.1/internal/secret.txt", Name = "secret.txt" });

        var file = Assert.Single(reply.Files);
        Assert.Equal(CopyOutcome.Refused, file.Outcome);
        Assert.Contains("address 10.0.0.1 is private", file.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_to_a_private_address_is_refused()
    {
        var target = Uri.EscapeDataString("http://169.254.169.254/latest/meta-data/iam/security-credentials/");
        var reply = await CopyAsync(new SourceAttachment { Url = $"{_origin.Base}/redirect?to={target}", Name = "creds.txt" });

        var file = Assert.Single(reply.Files);
        Assert.Equal(CopyOutcome.Refused, file.Outcome);
        Assert.Contains("address 169.254.169.254 is link-local", file.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_files_do_not_stop_the_others_which_still_share_one_token()
    {
        var good1 = sandbox.Attachment("a.txt", "text/plain", 10);
        var good2 = sandbox.Attachment("b.txt", "text/plain", 20);
        var reply = await CopyAsync(
            new SourceAttachment { Url = "https://evil.example/x.txt", Name = "x.txt" },
            good1,
            sandbox.Attachment("huge.bin", "application/octet-stream", 60L * 1024 * 1024),
            good2);

        Assert.Equal([CopyOutcome.Refused, CopyOutcome.Copied, CopyOutcome.Refused, CopyOutcome.Copied], reply.Files.Select(f => f.Outcome));
        Assert.Contains("declared size 62914560 bytes is over the 52428800-byte cap", reply.Files[2].Reason, StringComparison.Ordinal);
        Assert.Equal(["a.txt", "b.txt"], sandbox.Upload(reply.UploadToken).Attachments.Select(a => a.FileName));
    }

    [Fact]
    public async Task A_download_dropped_mid_stream_is_retried_from_the_start()
    {
        var key = Guid.NewGuid().ToString("N");
        const long size = 2 * 1024 * 1024;
        var reply = await CopyAsync(new SourceAttachment { Url = $"{_origin.Base}/drop-first/{key}/7/{size}", Name = "report.pdf", ContentType = "application/pdf" });

        var file = Assert.Single(reply.Files);
        Assert.Equal(CopyOutcome.Copied, file.Outcome);
        Assert.Equal(2, _origin.Hits(key));
        var stored = Assert.Single(sandbox.Upload(reply.UploadToken).Attachments);
        Assert.Equal(TestOrigin.Sha256(7, size), stored.Sha256);
        Assert.Equal(size, stored.Size);
    }

    [Fact]
    public async Task A_body_without_content_length_is_streamed_and_preserved()
    {
        const long size = 700_000;
        var reply = await CopyAsync(new SourceAttachment { Url = $"{_origin.Base}/bytes/9/{size}?chunked=true", Name = "stream.bin" });

        var file = Assert.Single(reply.Files);
        Assert.Equal(CopyOutcome.Copied, file.Outcome);
        Assert.Equal("application/octet-stream", file.ContentType);
        Assert.Equal(TestOrigin.Sha256(9, size), Assert.Single(sandbox.Upload(reply.UploadToken).Attachments).Sha256);
    }

    [Fact]
    public async Task An_expired_url_fails_without_retries()
    {
        var key = Guid.NewGuid().ToString("N");
        var reply = await CopyAsync(new SourceAttachment { Url = $"{_origin.Base}/status/{key}/403", Name = "gone.png" });

        var file = Assert.Single(reply.Files);
        Assert.Equal(CopyOutcome.Failed, file.Outcome);
        Assert.Contains("source answered 403", file.Reason, StringComparison.Ordinal);
        Assert.Equal(1, _origin.Hits(key));
        Assert.Empty(reply.UploadToken);
    }

    [Fact]
    public async Task A_server_error_is_retried_then_reported_as_failed()
    {
        var key = Guid.NewGuid().ToString("N");
        var reply = await CopyAsync(new SourceAttachment { Url = $"{_origin.Base}/status/{key}/503", Name = "x.png" });

        var file = Assert.Single(reply.Files);
        Assert.Equal(CopyOutcome.Failed, file.Outcome);
        Assert.Contains("gave up after 3 attempts", file.Reason, StringComparison.Ordinal);
        Assert.Equal(3, _origin.Hits(key));
    }

    private async Task<FetchReply> FetchAsync(string url, long maxBytes, long size = 0) =>
        await _service.Client.FetchAsync(new FetchRequest { Attachment = new SourceAttachment { Url = url, Name = "file.bin", Size = size }, MaxBytes = maxBytes },
            cancellationToken: TestContext.Current.CancellationToken);

    private string ZendeskFile(byte[] bytes)
    {
        var upload = sandbox.Zendesk.AddUpload(null, "report.pdf", "application/pdf", bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes);
        Assert.Null(upload.Error);
        return Sandbox.Zendesk.ZendeskJson.ContentUrl(upload.Value.Attachment, new Uri(sandbox.BaseAddress, "zendesk").ToString());
    }

    [Fact]
    public async Task A_Zendesk_attachment_comes_back_byte_identical()
    {
        var bytes = RandomNumberGenerator.GetBytes(70_000);
        var reply = await FetchAsync(ZendeskFile(bytes), maxBytes: 100_000, size: bytes.Length);

        Assert.Equal(CopyOutcome.Copied, reply.File.Outcome);
        Assert.Equal(bytes, reply.Data.ToByteArray());
        Assert.Equal(bytes.Length, reply.File.Bytes);
    }

    [Fact]
    public async Task A_file_over_the_callers_cap_is_refused_as_too_large_even_when_its_declared_size_is_not()
    {
        var reply = await FetchAsync(ZendeskFile(RandomNumberGenerator.GetBytes(5_000)), maxBytes: 4_096);

        Assert.Equal((CopyOutcome.Refused, CopyRefusal.TooLarge), (reply.File.Outcome, reply.File.Refusal));
        Assert.True(reply.Data.IsEmpty);
    }

    [Fact]
    public async Task Intercom_attachment_hosts_are_not_Zendesk_ones()
    {
        // 10.0.0.1 is on this service's Intercom host list (AttachmentServiceHost.TestHosts), not on its Zendesk list.
        var reply = await FetchAsync("http://10.0.0.1/internal/secret.txt", maxBytes: 4_096);

        Assert.Equal((CopyOutcome.Refused, CopyRefusal.SourceNotAllowed), (reply.File.Outcome, reply.File.Refusal));
        Assert.Contains("host 10.0.0.1 is not an allowed attachment host", reply.File.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_to_the_metadata_address_is_refused()
    {
        var target = Uri.EscapeDataString("http://169.254.169.254/latest/meta-data/iam/security-credentials/");
        var reply = await FetchAsync($"{_origin.Base}/redirect?to={target}", maxBytes: 4_096);

        Assert.Equal(CopyOutcome.Refused, reply.File.Outcome);
        Assert.Contains("169.254.169.254", reply.File.Reason, StringComparison.Ordinal);
    }
}
