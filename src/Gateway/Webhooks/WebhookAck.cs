using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Gateway.Webhooks;

/// <summary>
/// The 200 a vendor gets: the outcome word and the job id (0 when none was created now). Written in one piece with
/// its Content-Length: as a JSON result it went out chunked, the body and the terminating chunk as two writes.
/// </summary>
public sealed record WebhookAck(string Status, long JobId) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(this, WebhookAckJson.Default.WebhookAck);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookAck))]
internal sealed partial class WebhookAckJson : JsonSerializerContext;
