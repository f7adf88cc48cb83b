using Grpc.Core;

namespace Ferry.Gateway.Webhooks;

/// <summary>Webhook log lines: ids, topics and reasons only; never secrets, signatures, emails or bodies.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Warning, "{Vendor} webhook rejected: {Reason} (remote {RemoteIp})")]
    public static partial void SignatureRejected(ILogger logger, string vendor, string reason, string? remoteIp);

    [LoggerMessage(1002, LogLevel.Warning, "{Vendor} webhook answered 503: {Limit} unverified bodies are being read and the queue for more is full")]
    public static partial void Busy(ILogger logger, string vendor, int limit);

    [LoggerMessage(1003, LogLevel.Warning, "{Vendor} webhook body over {Limit} bytes rejected")]
    public static partial void TooLarge(ILogger logger, string vendor, int limit);

    [LoggerMessage(1004, LogLevel.Warning, "{Vendor} webhook malformed: {Reason}")]
    public static partial void Malformed(ILogger logger, string vendor, string reason);

    [LoggerMessage(1005, LogLevel.Information, "{Vendor} delivery {DeliveryId} topic {Topic} is not used by Ferry: acknowledged, not queued")]
    public static partial void UnusedTopic(ILogger logger, string vendor, string deliveryId, string topic);

    [LoggerMessage(1006, LogLevel.Information, "{Vendor} delivery {DeliveryId} ({Topic}, conversation {ConversationId}, ticket {TicketId}) queued as job {JobId} (duplicate {Duplicate}, ignored {Ignored})")]
    public static partial void Queued(ILogger logger, string vendor, string deliveryId, string topic, string? conversationId, long ticketId, long jobId, bool duplicate, bool ignored);

    [LoggerMessage(1007, LogLevel.Information, "{Vendor} delivery {DeliveryId} already seen (fast dedup): acknowledged")]
    public static partial void DuplicateDelivery(ILogger logger, string vendor, string deliveryId);

    [LoggerMessage(1008, LogLevel.Warning, "{Vendor} delivery {DeliveryId} not queued, TicketService answered {StatusCode}: answering 503 so the vendor retries")]
    public static partial void QueueUnavailable(ILogger logger, string vendor, string deliveryId, StatusCode statusCode);

    [LoggerMessage(1009, LogLevel.Error, "{Vendor} delivery {DeliveryId} refused by TicketService with {StatusCode}")]
    public static partial void QueueRefused(ILogger logger, string vendor, string deliveryId, StatusCode statusCode);

    [LoggerMessage(1011, LogLevel.Warning, "{Vendor} delivery {DeliveryId} not queued, TicketService unreachable ({ErrorType}): answering 503 so the vendor retries")]
    public static partial void QueueUnreachable(ILogger logger, string vendor, string deliveryId, string errorType);
}
