using System.IO.Pipelines;
using System.Net.Http.Headers;

namespace Ferry.AttachmentService.Copying;

/// <summary>
/// Pushes a file that arrives in chunks (internal tools) into one Zendesk upload through a Pipe:
/// the pipe pauses the producer at <see cref="PauseWriterBytes"/>, so memory stays bounded however
/// large the file. Same size and time caps as Copy. Not retried: a stream cannot be replayed, the
/// tool retries the whole call.
/// </summary>
public sealed partial class ChunkUploader(
    ZendeskUploadClient zendesk,
    AttachmentTelemetry telemetry,
    IOptions<AttachmentOptions> options,
    TimeProvider time,
    ILogger<ChunkUploader> logger)
{
    public const long PauseWriterBytes = 1024 * 1024;

    private readonly AttachmentOptions _options = options.Value;

    public async Task<(ZendeskUpload Upload, long Bytes)> UploadAsync(
        string name, string? contentType, string? token, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken ct)
    {
        using var activity = AttachmentTelemetry.Source.StartActivity("attachments.upload_file");
        activity?.SetTag("ferry.attachment.joins_token", !string.IsNullOrEmpty(token));
        var started = time.GetTimestamp();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_options.FileTimeout);

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PauseWriterBytes, resumeWriterThreshold: PauseWriterBytes / 2, useSynchronizationContext: false));
        var content = new CappedStreamContent(pipe.Reader.AsStream(), null, _options.MaxFileBytes);
        content.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
        var pump = PumpAsync(chunks, pipe.Writer, cts.Token);
        var outcome = "failed";
        long bytes = 0;
        try
        {
            var upload = await zendesk.UploadAsync(AttachmentCopier.FileName(new SourceFile("", name, null, 0)), token, content, cts.Token);
            bytes = await pump;
            outcome = "copied";
            return (upload, bytes);
        }
        catch (Exception) when (!pump.IsCompletedSuccessfully)
        {
            await cts.CancelAsync();
            try
            {
                await pump;
            }
            catch (FileTooLargeException)
            {
                outcome = "refused";
                throw;
            }
            catch (Exception)
            {
                // The upload's own failure below says more.
            }

            throw;
        }
        finally
        {
            content.Dispose();
            activity?.SetTag("ferry.attachment.outcome", outcome);
            activity?.SetTag("ferry.attachment.bytes", bytes);
            telemetry.Record("upload", outcome, bytes, time.GetElapsedTime(started));
            LogUpload(logger, outcome, bytes);
        }
    }

    private async Task<long> PumpAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, PipeWriter writer, CancellationToken ct)
    {
        await Task.Yield();
        long total = 0;
        try
        {
            await foreach (var chunk in chunks.WithCancellation(ct))
            {
                total += chunk.Length;
                if (total > _options.MaxFileBytes)
                {
                    throw new FileTooLargeException(_options.MaxFileBytes);
                }

                var flush = await writer.WriteAsync(chunk, ct);
                if (flush.IsCompleted)
                {
                    // The upload stopped reading (it failed); its error is reported.
                    break;
                }
            }

            await writer.CompleteAsync();
            return total;
        }
        catch (Exception e)
        {
            await writer.CompleteAsync(e);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Chunked upload: {Outcome}, {Bytes} bytes")]
    private static partial void LogUpload(ILogger logger, string outcome, long bytes);
}
