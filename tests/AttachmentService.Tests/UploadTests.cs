using Ferry.Sandbox.Common;
using Ferry.Testing;
using Ferry.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using System.Security.Cryptography;

namespace Ferry.AttachmentService.Tests;

/// <summary>The client-streaming Upload through the real gRPC surface into the sandbox's Zendesk.</summary>
public sealed class UploadTests(SandboxServer sandbox) : IAsyncLifetime
{
    private AttachmentServiceHost _service = null!;

    public async ValueTask InitializeAsync() => _service = await AttachmentServiceHost.StartAsync(sandbox, new Dictionary<string, string?>
    {
        ["Attachments:MaxFileBytes"] = (8 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    private async Task<UploadReply> UploadAsync(UploadMetadata metadata, long size, int chunkSize = 64 * 1024, long seed = 5, AttachmentServiceHost? via = null)
    {
        using var call = (via ?? _service).Client.Upload(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new UploadChunk { Metadata = metadata }, TestContext.Current.CancellationToken);
        var buffer = new byte[chunkSize];
        for (long sent = 0; sent < size; sent += chunkSize)
        {
            var n = (int)Math.Min(chunkSize, size - sent);
            await WriteChunkAsync(buffer, seed, sent, n);
            await call.RequestStream.WriteAsync(new UploadChunk { Chunk = ByteString.CopyFrom(buffer, 0, n) }, TestContext.Current.CancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        return await call;
    }

    private static async Task WriteChunkAsync(byte[] buffer, long seed, long offset, int count)
    {
        using var stream = new MemoryStream(buffer);
        await TestOrigin.WriteAsync(stream, seed, offset, count, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task An_upload_names_Ferry_and_the_service_in_its_User_Agent()
    {
        // Like every vendor client's request: the vendor's logs, and the sandbox's Retry-After watch, tell who sent it.
        await using var zendesk = await SandboxServer.CreateAsync();
        await using var service = await AttachmentServiceHost.StartAsync(zendesk);

        await UploadAsync(new UploadMetadata { Name = "named.txt" }, 10, via: service);

        var upload = Assert.Single(zendesk.Stats.Journal(), r => r.Method == "POST" && r.PathAndQuery.StartsWith("/zendesk/api/v2/uploads", StringComparison.Ordinal));
        Assert.StartsWith("Ferry/", upload.Client, StringComparison.Ordinal);
        Assert.Contains("(Ferry.AttachmentService)", upload.Client, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_Zendesk_429_no_upload_goes_out_before_its_Retry_After()
    {
        // A sandbox of its own: the test reads its request counts and injects faults.
        await using var zendesk = await SandboxServer.CreateAsync();
        await using var service = await AttachmentServiceHost.StartAsync(zendesk);
        zendesk.Faults.Current = new FaultSettings { Scope = "zendesk", RateLimitRate = 1, RetryAfterSeconds = 2, PathContains = "/uploads" };
        var limited = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(new UploadMetadata { Name = "first.txt" }, 10, via: service));
        Assert.Equal(StatusCode.Unavailable, limited.StatusCode);

        zendesk.Faults.Current = new FaultSettings();
        await Task.Delay(RetryAfterWatch.Grace + TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        var reply = await UploadAsync(new UploadMetadata { Name = "second.txt" }, 10, via: service);

        Assert.Equal(10, reply.Bytes);
        Assert.Equal(0, zendesk.Services.GetRequiredService<RequestStats>().Snapshot()["zendesk"].RequestsBeforeRetryAfter);
    }

    [Fact]
    public async Task Streams_chunks_into_one_upload_byte_identical()
    {
        const long size = 5 * 1024 * 1024 + 123;
        var reply = await UploadAsync(new UploadMetadata { Name = "export.csv", ContentType = "text/csv" }, size);

        Assert.Equal(size, reply.Bytes);
        var stored = Assert.Single(sandbox.Upload(reply.UploadToken).Attachments);
        Assert.Equal(("export.csv", "text/csv", size), (stored.FileName, stored.ContentType, stored.Size));
        Assert.Equal(TestOrigin.Sha256(5, size), stored.Sha256);
    }

    [Fact]
    public async Task Joins_an_existing_token_and_handles_empty_files()
    {
        var first = await UploadAsync(new UploadMetadata { Name = "a.txt", ContentType = "text/plain" }, 100);
        var second = await UploadAsync(new UploadMetadata { Name = "empty.txt", ContentType = "text/plain", Token = first.UploadToken }, 0);

        Assert.Equal(first.UploadToken, second.UploadToken);
        var upload = sandbox.Upload(first.UploadToken);
        Assert.Equal(["a.txt", "empty.txt"], upload.Attachments.Select(a => a.FileName));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([])), upload.Attachments[1].Sha256);
    }

    [Fact]
    public async Task A_stream_over_the_cap_is_refused()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            UploadAsync(new UploadMetadata { Name = "huge.bin" }, 8 * 1024 * 1024 + 1, chunkSize: 1024 * 1024));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("over the 8388608-byte cap", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_message_must_be_metadata()
    {
        using var call = _service.Client.Upload(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new UploadChunk { Chunk = ByteString.CopyFromUtf8("x") }, TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task An_unknown_token_is_reported_as_a_failed_precondition()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            UploadAsync(new UploadMetadata { Name = "a.txt", Token = "no-such-token" }, 10));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }
}
