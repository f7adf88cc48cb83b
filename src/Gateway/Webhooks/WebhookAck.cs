using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Gateway.Webhooks;

/// <summary>
/// The 200 a vendor gets: the outcome word and the job id (0 when none was created now). Written in one piece with
/// its Content-Length: as a JSON result it went out chunked, the body and the terminating chunk as two writes.
/// </summary>
public sealed record WebhookAck(string Status, long JobId) : IResult
{
    // An ack without a job (ping, unused topic, duplicate) is one of a few fixed answers: made and serialized once each.
    private static readonly ConcurrentDictionary<string, (WebhookAck Ack, byte[] Body)> WithoutJobs = new(StringComparer.Ordinal);

    /// <summary>The ack of <paramref name="status"/> (a <see cref="Telemetry.WebhookOutcome"/>) when no job was created now.</summary>
    public static WebhookAck WithoutJob(string status) => Fixed(status).Ack;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var body = JobId == 0 ? Fixed(Status).Body : Serialize(this);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }

    private static (WebhookAck Ack, byte[] Body) Fixed(string status) => WithoutJobs.GetOrAdd(status, static status =>
    {
        var ack = new WebhookAck(status, 0);
        return (ack, Serialize(ack));
    });

    private static byte[] Serialize(WebhookAck ack) => JsonSerializer.SerializeToUtf8Bytes(ack, WebhookAckJson.Default.WebhookAck);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookAck))]
internal sealed partial class WebhookAckJson : JsonSerializerContext;
