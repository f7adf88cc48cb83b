using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Ferry.AttachmentService.Vendors.Zendesk;

/// <summary>
/// Zendesk uploads API: <c>POST /api/v2/uploads?filename=…[&amp;token=…]</c> with the raw file as a
/// streamed body. Registered without the standard resilience handler on purpose: its attempt timeout
/// would cut large uploads, and a streamed POST must never be re-sent blindly. Retries happen around
/// the whole copy (download + upload) in <see cref="Copying.AttachmentCopier"/>.
/// </summary>
public sealed class ZendeskUploadClient(HttpClient http)
{
    public async Task<ZendeskUpload> UploadAsync(string fileName, string? token, HttpContent content, CancellationToken ct)
    {
        var path = string.Create(CultureInfo.InvariantCulture,
            $"api/v2/uploads?filename={Uri.EscapeDataString(fileName)}{(string.IsNullOrEmpty(token) ? "" : "&token=" + Uri.EscapeDataString(token))}");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            throw new ZendeskUploadException(status, response.StatusCode switch
            {
                HttpStatusCode.RequestEntityTooLarge => ZendeskUploadFailure.TooLarge,
                HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => ZendeskUploadFailure.Transient,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ZendeskUploadFailure.Permanent,
                _ when status >= 500 => ZendeskUploadFailure.Transient,
                _ => ZendeskUploadFailure.Rejected,
            }, response.Headers.RetryAfter?.Delta);
        }

        var body = await response.Content.ReadFromJsonAsync<UploadEnvelope>(ct);
        var upload = body?.Upload ?? throw new ZendeskUploadException((int)response.StatusCode, ZendeskUploadFailure.Permanent, null);
        return new ZendeskUpload(upload.Token, upload.Attachment?.Id ?? 0, upload.Attachment?.Size ?? 0, upload.Attachment?.ContentType);
    }

    /// <summary>DELETE /api/v2/uploads/{token}: removes the token's uploads (a gone token is fine).</summary>
    public async Task DeleteAsync(string token, CancellationToken ct)
    {
        using var response = await http.DeleteAsync(new Uri($"api/v2/uploads/{Uri.EscapeDataString(token)}", UriKind.Relative), ct);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
        {
            throw new ZendeskUploadException((int)response.StatusCode, ZendeskUploadFailure.Permanent, null);
        }
    }

    private sealed record UploadEnvelope([property: JsonPropertyName("upload")] UploadDto? Upload);

    private sealed record UploadDto(
        [property: JsonPropertyName("token")] string Token,
        [property: JsonPropertyName("attachment")] AttachmentDto? Attachment);

    private sealed record AttachmentDto(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("size")] long Size,
        [property: JsonPropertyName("content_type")] string? ContentType);
}

public sealed record ZendeskUpload(string Token, long AttachmentId, long Size, string? ContentType);

public enum ZendeskUploadFailure
{
    Transient,
    TooLarge,

    /// <summary>A 4xx about the file itself (validation): sending it again gets the same answer.</summary>
    Rejected,

    /// <summary>Credentials, permissions or an unreadable answer: not about the file.</summary>
    Permanent,
}

public sealed class ZendeskUploadException(int status, ZendeskUploadFailure failure, TimeSpan? retryAfter)
    : Exception($"Zendesk upload answered {status}")
{
    public int Status => status;

    public ZendeskUploadFailure Failure => failure;

    public TimeSpan? RetryAfter => retryAfter;
}
