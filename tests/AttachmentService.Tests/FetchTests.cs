using System.Security.Cryptography;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.AttachmentService.Tests;

/// <summary>
/// Fetch (dual mode: a Zendesk comment's file for its Intercom reply) through the real gRPC surface: the sandbox's
/// Zendesk attachment comes back whole; the caller's cap, the Zendesk host list and the address checks hold.
/// </summary>
public sealed class FetchTests(SandboxServer sandbox) : IAsyncLifetime
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
