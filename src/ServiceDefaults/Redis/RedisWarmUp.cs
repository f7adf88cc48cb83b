using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Ferry.ServiceDefaults.Redis;

/// <summary>
/// Connects the Redis client while the service starts, before it serves requests. Resolving the
/// multiplexer connects synchronously: left to the first requests, a burst of them blocks as many
/// thread-pool threads for up to the connect timeout (starvation that a proxy in front sees as a
/// dropped HTTP/2 connection, a 502). With Redis down this waits out one connect timeout at start-up;
/// the client keeps reconnecting in the background and callers treat it as down meanwhile.
/// </summary>
public sealed class RedisWarmUp(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        Task.Run(() => services.GetRequiredService<IConnectionMultiplexer>(), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class RedisExtensions
{
    /// <summary>
    /// The "redis" connection as every Ferry service uses it: an optimisation (dedup, pacing, locks, the shared
    /// rate budget) that correctness never rests on, so its outage does not make the service unready; connected
    /// at start-up (<see cref="RedisWarmUp"/>).
    /// </summary>
    public static IHostApplicationBuilder AddFerryRedis(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis", settings => settings.DisableHealthChecks = true);
        builder.Services.AddHostedService<RedisWarmUp>();
        return builder;
    }
}
