using Ferry.AttachmentService.Copying;
using Ferry.ServiceDefaults.Grpc;
using Grpc.Core;

namespace Ferry.AttachmentService.Api;

/// <summary>Upload failures as status codes that tell the caller whether to retry, shrink the file or fix the settings.</summary>
public sealed class AttachmentErrorMap : IGrpcErrorMap
{
    public Status? ToStatus(Exception exception)
    {
        // The cap and the caller's own status can arrive wrapped (in an HttpRequestException, an IOException).
        if (SafeDownloader.Find<FileTooLargeException>(exception) is { } tooLarge)
        {
            return new Status(StatusCode.ResourceExhausted, $"The file is over the {tooLarge.Cap}-byte cap.");
        }

        if (SafeDownloader.Find<RpcException>(exception) is { } inner)
        {
            return inner.Status;
        }

        return exception switch
        {
            ZendeskUploadException { Failure: ZendeskUploadFailure.TooLarge } z => new Status(StatusCode.ResourceExhausted, $"Zendesk rejected the file as too large ({z.Status})."),
            ZendeskUploadException { Failure: ZendeskUploadFailure.Transient } z => new Status(StatusCode.Unavailable, $"Zendesk upload answered {z.Status}; retry the upload later."),
            ZendeskUploadException z => new Status(StatusCode.FailedPrecondition, $"Zendesk refused the upload ({z.Status}); check the token (tokens expire after about 60 minutes) and the credentials."),
            OperationCanceledException => new Status(StatusCode.DeadlineExceeded, "The upload took longer than the time cap (Attachments:FileTimeout)."),
            HttpRequestException or IOException => new Status(StatusCode.Unavailable, "The connection to Zendesk broke during the upload; retry the upload."),
            _ => null,
        };
    }
}
