using System.Diagnostics;
using Ferry.AttachmentService.Copying;

namespace Ferry.AttachmentService.Fetching;

/// <summary>What reading one Zendesk attachment gave: the file's outcome and, when copied, its bytes.</summary>
public sealed record FetchedFile(FileResult Result, byte[] Data);

/// <summary>
/// Reads a Zendesk attachment whole (dual mode: Intercom takes a reply's files inside its JSON body, so they cannot
/// be streamed). The download is Copy's: <see cref="SafeDownloader"/> with a <see cref="SourcePolicy"/> on the Zendesk
/// hosts (<see cref="AttachmentOptions.ZendeskAllowedHosts"/>), the caps checked up front and while reading
/// (<see cref="CappedStreamContent"/>), failures classified as Copy classifies them. One attempt per call: the
/// caller's sync attempt is what retries.
/// </summary>
public sealed partial class ZendeskFileReader(
    [FromKeyedServices(ZendeskFileReader.DownloaderKey)] SafeDownloader downloader,
    AttachmentTelemetry telemetry,
    IOptions<AttachmentOptions> options,
    TimeProvider time,
    ILogger<ZendeskFileReader> logger)
{
    /// <summary>The <see cref="SafeDownloader"/> whose policy allows the Zendesk hosts.</summary>
    public const string DownloaderKey = "zendesk";

    private readonly AttachmentOptions _options = options.Value;

    /// <param name="maxBytes">The caller's cap; <see cref="AttachmentOptions.MaxFileBytes"/> applies too.</param>
    public async Task<FetchedFile> ReadAsync(SourceFile file, long maxBytes, CancellationToken ct)
    {
        using var activity = AttachmentTelemetry.Source.StartActivity("attachments.fetch_file");
        var started = time.GetTimestamp();
        var cap = maxBytes > 0 ? Math.Min(maxBytes, _options.MaxFileBytes) : _options.MaxFileBytes;
        var name = AttachmentCopier.FileName(file);
        var contentType = string.IsNullOrWhiteSpace(file.ContentType) ? "application/octet-stream" : file.ContentType;
        FetchedFile fetched;
        if (file.DeclaredSize > cap)
        {
            fetched = new(new(name, FileOutcome.Refused, $"refused: declared size {file.DeclaredSize} bytes is over the {cap}-byte cap", 0, contentType, Refusal.TooLarge), []);
        }
        else
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(_options.FileTimeout);
            try
            {
                var (data, actualType) = await DownloadAsync(file, cap, budget.Token);
                fetched = new(new(name, FileOutcome.Copied, "", data.Length, actualType), data);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                var (outcome, refusal, reason, _, _) = AttachmentCopier.Classify(e, budget, budget, _options.FileTimeout);
                if (SafeDownloader.Find<DownloadFailedException>(e) is { Transient: false })
                {
                    // Unlike Intercom's pre-signed URLs, a content_url does not expire: a 403 is Zendesk's
                    // "private attachments" setting (sign-in required), which no retry gets past.
                    (outcome, refusal) = (FileOutcome.Refused, Refusal.SourceNotAllowed);
                }

                fetched = new(new(name, outcome, reason, 0, contentType, refusal), []);
            }
        }

        var outcomeName = fetched.Result.Outcome.ToString().ToLowerInvariant();
        activity?.SetTag("ferry.attachment.outcome", outcomeName);
        activity?.SetTag("ferry.attachment.bytes", fetched.Result.Bytes);
        if (fetched.Result.Outcome != FileOutcome.Copied)
        {
            activity?.SetStatus(ActivityStatusCode.Error, fetched.Result.Reason);
        }

        telemetry.Record("fetch", outcomeName, fetched.Result.Bytes, time.GetElapsedTime(started));
        LogFetched(logger, outcomeName, fetched.Result.Bytes, fetched.Result.Reason);
        return fetched;
    }

    private async Task<(byte[] Data, string ContentType)> DownloadAsync(SourceFile file, long cap, CancellationToken ct)
    {
        using var response = await downloader.OpenAsync(file.Url, ct);
        var length = response.Content.Headers.ContentLength;
        if (length > cap)
        {
            throw new AttachmentRefusedException($"refused: Content-Length {length} bytes is over the {cap}-byte cap", Refusal.TooLarge);
        }

        // The type Zendesk reported wins; the download's header is the fallback.
        var contentType = !string.IsNullOrWhiteSpace(file.ContentType) ? file.ContentType
            : response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
        using var content = new CappedStreamContent(await response.Content.ReadAsStreamAsync(ct), length, cap);
        using var buffer = new MemoryStream(length is { } known ? (int)known : 0);
        await content.CopyToAsync(buffer, ct);
        return (buffer.ToArray(), contentType);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Zendesk attachment read: {Outcome}, {Bytes} bytes {Reason}")]
    private static partial void LogFetched(ILogger logger, string outcome, long bytes, string reason);
}
