using Ferry.Sandbox.Common;
using Ferry.Testing;
using Ferry.V1;

namespace Ferry.AttachmentService.Tests;

/// <summary>Size and time caps, and faults injected by a sandbox of this class's own.</summary>
public sealed class CapsTests : IAsyncLifetime
{
    private const long Cap = 1024 * 1024;

    private SandboxServer _sandbox = null!;
    private AttachmentServiceHost _service = null!;
    private TestOrigin _origin = null!;

    public async ValueTask InitializeAsync()
    {
        _sandbox = await SandboxServer.CreateAsync();
        _service = await AttachmentServiceHost.StartAsync(_sandbox, new Dictionary<string, string?>
        {
            ["Attachments:MaxFileBytes"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _origin = await TestOrigin.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _origin.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private async Task<CopiedFile> CopyOneAsync(SourceAttachment attachment)
    {
        var request = new CopyRequest { ConversationId = "c-2", PartId = "p-2" };
        request.Attachments.Add(attachment);
        var reply = await _service.Client.CopyAsync(request, cancellationToken: TestContext.Current.CancellationToken);
        return Assert.Single(reply.Files);
    }

    [Fact]
    public async Task A_file_at_the_cap_is_copied()
    {
        var file = await CopyOneAsync(_sandbox.Attachment("exact.bin", "application/octet-stream", Cap));
        Assert.Equal(CopyOutcome.Copied, file.Outcome);
        Assert.Equal(Cap, file.Bytes);
    }

    [Fact]
    public async Task A_declared_size_over_the_cap_is_refused_before_downloading()
    {
        var file = await CopyOneAsync(_sandbox.Attachment("big.bin", "application/octet-stream", Cap + 1));
        Assert.Equal(CopyOutcome.Refused, file.Outcome);
        Assert.Contains($"declared size {Cap + 1} bytes is over the {Cap}-byte cap", file.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_content_length_over_the_cap_is_refused_up_front()
    {
        // Intercom reported no size: the download's Content-Length is the first check.
        var file = await CopyOneAsync(_sandbox.Attachment("big.bin", "application/octet-stream", Cap + 1, reportedSize: 0));
        Assert.Equal(CopyOutcome.Refused, file.Outcome);
        Assert.Contains($"Content-Length {Cap + 1} bytes is over the {Cap}-byte cap", file.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_without_length_is_cut_at_the_cap_while_streaming()
    {
        var file = await CopyOneAsync(new SourceAttachment { Url = $"{_origin.Base}/bytes/3/{Cap + 1}?chunked=true", Name = "endless.bin" });
        Assert.Equal(CopyOutcome.Refused, file.Outcome);
        Assert.Contains($"larger than the {Cap}-byte cap", file.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(_sandbox.Zendesk.Uploads(), u => u.Attachments.Any(a => a.FileName == "endless.bin"));
    }

    [Fact]
    public async Task A_slow_file_fails_at_the_time_cap_without_retries()
    {
        // A service of its own with a short time cap; the file needs 20 s at the throttled rate.
        await using var service = await AttachmentServiceHost.StartAsync(_sandbox, new Dictionary<string, string?> { ["Attachments:FileTimeout"] = "00:00:02" });
        _sandbox.Faults.Current = new FaultSettings { Scope = "intercom", SlowDownloadBytesPerSecond = 20_000 };
        try
        {
            var request = new CopyRequest { ConversationId = "c-3", PartId = "p-3" };
            request.Attachments.Add(_sandbox.Attachment("slow.bin", "application/octet-stream", 400_000));
            var file = Assert.Single((await service.Client.CopyAsync(request, cancellationToken: TestContext.Current.CancellationToken)).Files);
            Assert.Equal(CopyOutcome.Failed, file.Outcome);
            Assert.Contains("over the 2-second time cap", file.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain("attempts", file.Reason, StringComparison.Ordinal);
        }
        finally
        {
            _sandbox.Faults.Current = new FaultSettings();
        }
    }

    [Fact]
    public async Task Downloads_that_always_break_mid_stream_fail_after_the_attempts()
    {
        _sandbox.Faults.Current = new FaultSettings { Scope = "intercom", DropRate = 1 };
        try
        {
            var file = await CopyOneAsync(_sandbox.Attachment("flaky.bin", "application/octet-stream", 100_000));
            Assert.Equal(CopyOutcome.Failed, file.Outcome);
            Assert.Contains("transfer interrupted", file.Reason, StringComparison.Ordinal);
            Assert.Contains("gave up after 3 attempts", file.Reason, StringComparison.Ordinal);
        }
        finally
        {
            _sandbox.Faults.Current = new FaultSettings();
        }
    }
}
