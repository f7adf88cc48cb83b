using Ferry.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Ferry.Gateway.Webhooks;

/// <summary>
/// Fast duplicate check of vendor delivery ids in Redis. An optimisation only: the TicketService inbox
/// (unique delivery id, same transaction as the job) is the guarantee, so every Redis failure or delay
/// means "not seen" and the delivery goes on to Enqueue. A delivery is marked only after Enqueue
/// succeeded, so a failed enqueue is never hidden from the vendor's retry. While Redis is down or paused
/// it is skipped for a few seconds at a time (<see cref="RedisGuard"/>): no delivery waits on it.
/// </summary>
public sealed class DeliveryDedup(IConnectionMultiplexer redis, IOptions<WebhookOptions> options, TimeProvider time, ILogger<DeliveryDedup> logger)
{
    private readonly RedisGuard _redis = new(redis, options.Value.DedupTimeout, TimeSpan.FromSeconds(5), time, logger);

    public static RedisKey Key(string vendor, string deliveryId) => $"ferry:gateway:delivery:{vendor}:{deliveryId}";

    public async Task<bool> SeenAsync(string vendor, string deliveryId) =>
        (await _redis.TryAsync(db => db.KeyExistsAsync(Key(vendor, deliveryId)), CancellationToken.None)).Value;

    /// <summary>Marks an enqueued delivery without waiting for Redis: the mark only spares a redelivery its Enqueue, so the ack does not wait on it.</summary>
    public void Mark(string vendor, string deliveryId) =>
        _redis.Send(db => db.StringSet(Key(vendor, deliveryId), 1, options.Value.DedupTtl, When.NotExists, CommandFlags.FireAndForget));
}
