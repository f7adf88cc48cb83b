using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Ferry.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Webhooks;

/// <summary>
/// One intake for every vendor: read the body (size limit) → verify the signature over the raw bytes →
/// read the delivery → fast dedup and Enqueue (<see cref="InboxForwarder"/>) → 2xx. Until its signature is
/// verified a body is anyone's, so only <c>Gateway:Webhooks:MaxUnverifiedBodies</c> are read at once (the
/// rest wait in a bounded queue, then get 503 + Retry-After): a flood of unsigned megabytes cannot exhaust memory.
/// </summary>
public sealed class WebhookIntake(InboxForwarder forwarder, GatewayTelemetry telemetry, IOptions<WebhookOptions> options, ILogger<WebhookIntake> logger) : IDisposable
{
    private readonly ConcurrencyLimiter _unverified = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.MaxUnverifiedBodies,
        QueueLimit = options.Value.UnverifiedQueueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <remarks>Pooled like <see cref="RawBody.ReadAsync"/>: it waits whenever the body does.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<IResult> ReceiveAsync(HttpContext context, IWebhookSource source)
    {
        var vendor = source.Vendor;

        ReadOnlyMemory<byte> body;
        using (var permit = await _unverified.AcquireAsync(1, context.RequestAborted))
        {
            if (!permit.IsAcquired)
            {
                Log.Busy(logger, vendor, options.Value.MaxUnverifiedBodies);
                telemetry.Webhook(vendor, WebhookOutcome.Unavailable);
                return new RetryLaterResult(options.Value.RetryAfterSeconds);
            }

            if (await RawBody.ReadAsync(context.Request, options.Value.MaxBodyBytes, context.RequestAborted) is not { } raw)
            {
                Log.TooLarge(logger, vendor, options.Value.MaxBodyBytes);
                telemetry.Webhook(vendor, WebhookOutcome.TooLarge);
                return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large.");
            }

            if (source.Verify(raw.Span, context.Request.Headers) is { } failure)
            {
                Log.SignatureRejected(logger, vendor, failure.Reason, context.Connection.RemoteIpAddress?.ToString());
                telemetry.Webhook(vendor, failure.Outcome);
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: source.SignatureProblem);
            }

            body = raw;
        }

        var read = source.Read(body, context.Request.Headers);
        if (read.Error is { } error)
        {
            Log.Malformed(logger, vendor, error);
            telemetry.Webhook(vendor, WebhookOutcome.Malformed);
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed delivery.", detail: error);
        }

        if (read.Delivery is not { } delivery)
        {
            telemetry.Webhook(vendor, read.AckOutcome!, read.TopicTag);
            return WebhookAck.WithoutJob(read.AckOutcome!);
        }

        return await forwarder.ForwardAsync(delivery, context.RequestAborted);
    }

    public void Dispose() => _unverified.Dispose();
}
