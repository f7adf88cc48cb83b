using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Ferry.Gateway.Webhooks;

/// <summary>
/// Fast duplicate check of vendor delivery ids in Redis. An optimisation only: the TicketService inbox
/// (unique delivery id, same transaction as the job) is the guarantee, so every Redis failure or delay
/// means "not seen" and the delivery goes on to Enqueue. A delivery is marked only after Enqueue
/// succeeded, so a failed enqueue is never hidden from the vendor's retry.
/// </summary>
public sealed class DeliveryDedup(IConnectionMultiplexer redis, IOptions<WebhookOptions> options, ILogger<DeliveryDedup> logger)
{
    public static RedisKey Key(string vendor, string deliveryId) => $"ferry:gateway:delivery:{vendor}:{deliveryId}";

    public async Task<bool> SeenAsync(string vendor, string deliveryId)
    {
        try
        {
            if (!redis.IsConnected)
            {
                Log.DedupSkipped(logger, vendor, deliveryId, "not connected");
                return false;
            }

            return await redis.GetDatabase().KeyExistsAsync(Key(vendor, deliveryId)).WaitAsync(options.Value.DedupTimeout);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.DedupSkipped(logger, vendor, deliveryId, ex.GetType().Name);
            return false;
        }
    }

    public async Task MarkAsync(string vendor, string deliveryId)
    {
        try
        {
            if (!redis.IsConnected)
            {
                Log.DedupSkipped(logger, vendor, deliveryId, "not connected");
                return;
            }

            await redis.GetDatabase().StringSetAsync(Key(vendor, deliveryId), 1, options.Value.DedupTtl, When.NotExists)
                .WaitAsync(options.Value.DedupTimeout);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.DedupSkipped(logger, vendor, deliveryId, ex.GetType().Name);
        }
    }
}
