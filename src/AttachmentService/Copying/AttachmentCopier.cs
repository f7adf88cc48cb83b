using System.Diagnostics;
using System.Net.Http.Headers;

namespace Ferry.AttachmentService.Copying;

public sealed record SourceFile(string Url, string Name, string? ContentType, long DeclaredSize);

public sealed record CopyScope(string ConversationId, string PartId);

public enum FileOutcome
{
    Copied,

    /// <summary>Permanent: copying it again cannot succeed (<see cref="Refusal"/> says why).</summary>
    Refused,

    /// <summary>Transient: the caller retries the part later, with a fresh pre-signed URL.</summary>
    Failed,
}

public sealed record FileResult(string Name, FileOutcome Outcome, string Reason, long Bytes, string ContentType, Refusal Refusal = Refusal.None);

/// <summary>What one Copy produced: the one upload token every copied file joined (null when none was copied, or when any file failed).</summary>
public sealed record CopyResult(string? Token, IReadOnlyList<FileResult> Files);

/// <summary>
/// Copies a part's attachments one after another, each download streamed straight into its Zendesk
/// upload. The first copied file creates the upload token, later files join it (token=…), so one
/// comment carries them all. A transient failure ends the part: the files after it are not tried and
/// the uploads made are deleted, since the caller retries the whole part (an orphaned token would
/// otherwise hold them until Zendesk expires it).
/// </summary>
public sealed partial class AttachmentCopier(
    SafeDownloader downloader,
    ZendeskUploadClient zendesk,
    AttachmentTelemetry telemetry,
    IOptions<AttachmentOptions> options,
    TimeProvider time,
    ILogger<AttachmentCopier> logger)
{
    private readonly AttachmentOptions _options = options.Value;

    public async Task<CopyResult> CopyAsync(CopyScope scope, IReadOnlyList<SourceFile> files, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.CallBudget);
        string? token = null;
        var results = new List<FileResult>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            if (results.Any(r => r.Outcome == FileOutcome.Failed))
            {
                var skipped = files[i];
                results.Add(new(FileName(skipped), FileOutcome.Failed, "failed: not tried, an earlier file of the part failed", 0, skipped.ContentType ?? ""));
                continue;
            }

            var (result, uploadToken) = await CopyFileAsync(scope, i, files[i], token, budget, ct);
            token ??= uploadToken;
            results.Add(result);
        }

        if (token is not null && results.Any(r => r.Outcome == FileOutcome.Failed))
        {
            await DiscardAsync(scope, token, ct);
            token = null;
        }

        return new CopyResult(token, results);
    }

    /// <summary>Best effort: an upload left behind expires with its token (about 60 minutes).</summary>
    private async Task DiscardAsync(CopyScope scope, string token, CancellationToken ct)
    {
        try
        {
            await zendesk.DeleteAsync(token, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogDiscardFailed(logger, scope.ConversationId, scope.PartId, e.Message);
        }
    }

    private async Task<(FileResult Result, string? Token)> CopyFileAsync(
        CopyScope scope, int index, SourceFile file, string? token, CancellationTokenSource budget, CancellationToken callerCt)
    {
        using var activity = AttachmentTelemetry.Source.StartActivity("attachments.copy_file");
        activity?.SetTag("ferry.conversation_id", scope.ConversationId);
        activity?.SetTag("ferry.part_id", scope.PartId);
        activity?.SetTag("ferry.attachment.index", index);
        activity?.SetTag("ferry.attachment.joins_token", token is not null);

        var started = time.GetTimestamp();
        var name = FileName(file);
        var contentType = string.IsNullOrWhiteSpace(file.ContentType) ? "application/octet-stream" : file.ContentType;
        FileResult result;
        string? uploadToken = null;
        var attempts = 0;
        if (file.DeclaredSize > _options.MaxFileBytes)
        {
            result = new(name, FileOutcome.Refused, $"refused: declared size {file.DeclaredSize} bytes is over the {_options.MaxFileBytes}-byte cap", 0, contentType, Refusal.TooLarge);
        }
        else
        {
            while (true)
            {
                attempts++;
                using var fileCts = CancellationTokenSource.CreateLinkedTokenSource(budget.Token);
                fileCts.CancelAfter(_options.FileTimeout);
                try
                {
                    var (upload, bytes, actualType) = await AttemptAsync(file, name, token, fileCts.Token);
                    uploadToken = upload.Token;
                    result = new(name, FileOutcome.Copied, "", bytes, actualType);
                    break;
                }
                catch (Exception e) when (!callerCt.IsCancellationRequested)
                {
                    var (outcome, refusal, reason, retry, retryAfter) = Classify(e, fileCts, budget, _options.FileTimeout, joinsToken: token is not null);
                    var delay = Backoff(attempts, retryAfter);
                    if (!retry || attempts >= _options.MaxAttempts || budget.IsCancellationRequested)
                    {
                        result = new(name, outcome, retry ? $"{reason} (gave up after {attempts} attempts)" : reason, 0, contentType, refusal);
                        break;
                    }

                    LogRetrying(logger, scope.ConversationId, scope.PartId, index, attempts, reason, delay);
                    try
                    {
                        await Task.Delay(delay, time, budget.Token);
                    }
                    catch (OperationCanceledException) when (!callerCt.IsCancellationRequested)
                    {
                        result = new(name, FileOutcome.Failed, $"{reason}; the call's time budget ran out before a retry", 0, contentType);
                        break;
                    }
                }
            }
        }

        var outcomeName = result.Outcome.ToString().ToLowerInvariant();
        activity?.SetTag("ferry.attachment.outcome", outcomeName);
        activity?.SetTag("ferry.attachment.bytes", result.Bytes);
        activity?.SetTag("ferry.attachment.attempts", attempts);
        if (result.Outcome != FileOutcome.Copied)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Reason);
        }

        telemetry.Record("copy", outcomeName, result.Bytes, time.GetElapsedTime(started));
        LogFile(logger, scope.ConversationId, scope.PartId, index, outcomeName, result.Bytes, attempts, result.Reason);
        return (result, uploadToken);
    }

    private async Task<(ZendeskUpload Upload, long Bytes, string ContentType)> AttemptAsync(SourceFile file, string name, string? token, CancellationToken ct)
    {
        using var response = await downloader.OpenAsync(file.Url, ct);
        var length = response.Content.Headers.ContentLength;
        if (length > _options.MaxFileBytes)
        {
            throw new AttachmentRefusedException($"refused: Content-Length {length} bytes is over the {_options.MaxFileBytes}-byte cap");
        }

        // The type Intercom reported wins; the download's header is the fallback.
        var contentType = !string.IsNullOrWhiteSpace(file.ContentType) && MediaTypeHeaderValue.TryParse(file.ContentType, out var declared)
            ? declared
            : response.Content.Headers.ContentType ?? new MediaTypeHeaderValue("application/octet-stream");
        var body = await response.Content.ReadAsStreamAsync(ct);
        using var content = new CappedStreamContent(body, length, _options.MaxFileBytes);
        content.Headers.ContentType = contentType;
        try
        {
            var upload = await zendesk.UploadAsync(name, token, content, ct);
            return (upload, content.Bytes, contentType.ToString());
        }
        catch (ZendeskUploadException e) when (e.Failure == ZendeskUploadFailure.Rejected && content.Bytes == 0)
        {
            throw new AttachmentRefusedException($"refused: Zendesk did not take the empty file ({e.Status})", Refusal.Empty);
        }
    }

    /// <summary>
    /// Refusals are final. Everything else is transient for the part (the caller retries it with fresh
    /// URLs); within this call only failures the same URL may get past (connection broken mid-stream,
    /// 5xx, 429) are retried from the start: a new download piped into a new upload. Re-sending the first file's upload
    /// is safe: if Zendesk registered it but the answer was lost, that only leaves an unused token, which expires after
    /// about 60 minutes. A file joining the part's token (<paramref name="joinsToken"/>) whose transfer broke is not sent
    /// again: Zendesk may have added it to the token already, and a second copy would be in the comment twice. The part
    /// fails instead, its token with whatever joined it is deleted, and the caller retries the part whole. A 5xx or 429
    /// is Zendesk's answer that it took nothing, so that upload is still retried.
    /// A file over its time cap is not retried within this call (it would be as slow again).
    /// </summary>
    internal static (FileOutcome Outcome, Refusal Refusal, string Reason, bool Retry, TimeSpan? RetryAfter) Classify(
        Exception e, CancellationTokenSource fileCts, CancellationTokenSource budget, TimeSpan fileTimeout, bool joinsToken = false)
    {
        if (SafeDownloader.Find<AttachmentRefusedException>(e) is { } refused)
        {
            return (FileOutcome.Refused, refused.Kind, refused.Reason, false, null);
        }

        if (SafeDownloader.Find<FileTooLargeException>(e) is { } tooLarge)
        {
            return (FileOutcome.Refused, Refusal.TooLarge, tooLarge.Message, false, null);
        }

        if (e is OperationCanceledException || SafeDownloader.Find<OperationCanceledException>(e) is not null)
        {
            return budget.IsCancellationRequested
                ? (FileOutcome.Failed, Refusal.None, "failed: the call's time budget ran out", false, null)
                : (FileOutcome.Failed, Refusal.None, $"failed: over the {fileTimeout.TotalSeconds:0.#}-second time cap", false, null);
        }

        if (e is ZendeskUploadException upload)
        {
            return upload.Failure switch
            {
                ZendeskUploadFailure.TooLarge => (FileOutcome.Refused, Refusal.TooLarge, $"refused: Zendesk rejected the file as too large ({upload.Status})", false, null),
                ZendeskUploadFailure.Rejected => (FileOutcome.Refused, Refusal.Rejected, $"refused: Zendesk rejected the upload ({upload.Status})", false, null),
                ZendeskUploadFailure.Transient => (FileOutcome.Failed, Refusal.None, $"failed: Zendesk upload answered {upload.Status}", true, upload.RetryAfter),
                // Credentials or an unreadable answer: retrying the part after the fix copies the file.
                _ => (FileOutcome.Failed, Refusal.None, $"failed: Zendesk upload answered {upload.Status}", false, null),
            };
        }

        if (e is DownloadFailedException download)
        {
            return (FileOutcome.Failed, Refusal.None, $"failed: {download.Message}", download.Transient, null);
        }

        if (e is HttpRequestException or IOException)
        {
            return joinsToken
                ? (FileOutcome.Failed, Refusal.None, $"failed: transfer interrupted ({Innermost(e).Message}) while the file joined the part's upload token; not sent again, since Zendesk may have taken it already: the part is retried whole", false, null)
                : (FileOutcome.Failed, Refusal.None, $"failed: transfer interrupted ({Innermost(e).Message})", true, null);
        }

        return (FileOutcome.Failed, Refusal.None, $"failed: {e.GetType().Name}", false, null);
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var exponential = _options.RetryBaseDelay * Math.Pow(2, attempt - 1);
        var jittered = exponential * (0.8 + (Random.Shared.NextDouble() * 0.4));
        return retryAfter is { } after && after > jittered ? after : jittered;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    /// <summary>The reported name, else the URL's last segment; never a path.</summary>
    public static string FileName(SourceFile file)
    {
        var name = file.Name;
        if (string.IsNullOrWhiteSpace(name) && Uri.TryCreate(file.Url, UriKind.Absolute, out var uri))
        {
            name = Uri.UnescapeDataString(uri.Segments.LastOrDefault() ?? "").Trim('/');
        }

        name = new string([.. (name ?? "").Where(c => !char.IsControl(c))]).Replace('/', '_').Replace('\\', '_').Trim();
        return string.IsNullOrEmpty(name) ? "attachment" : name;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attachment {Index} of conversation {ConversationId} part {PartId}: {Outcome}, {Bytes} bytes, {Attempts} attempt(s) {Reason}")]
    private static partial void LogFile(ILogger logger, string conversationId, string partId, int index, string outcome, long bytes, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {ConversationId} part {PartId}: could not delete the uploads of a part that will be retried ({Error}); they expire with their token")]
    private static partial void LogDiscardFailed(ILogger logger, string conversationId, string partId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attachment {Index} of conversation {ConversationId} part {PartId}: attempt {Attempt} failed ({Reason}), retrying in {Delay}")]
    private static partial void LogRetrying(ILogger logger, string conversationId, string partId, int index, int attempt, string reason, TimeSpan delay);
}
