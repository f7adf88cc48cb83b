using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Microsoft.Extensions.Hosting;

public static class HttpResilienceExtensions
{
    /// <summary>
    /// The standard resilience pipeline for a plain HTTP client (vendor APIs, downloads), with
    /// retries limited to safe methods: a POST that creates something is retried only by code
    /// that made it idempotent (Idempotency-Key, lookup before create), never by this handler.
    /// The circuit opens only when most requests fail: a vendor failing one request in five is
    /// degraded, not down, and the default 10 % threshold would turn that into a complete outage
    /// for every caller, over and over (measured: most failed attempts in docs/RELIABILITY.md's run).
    /// </summary>
    /// <remarks>
    /// <c>VendorHttp:RetryDelay</c> sets the first retry's delay (default 2 s, doubling with jitter), for
    /// deployments whose vendor answers 5xx often enough that reads waiting 2 s each slow syncing down.
    /// </remarks>
    public static IHttpStandardResiliencePipelineBuilder AddFerryHttpResilience(this IHttpClientBuilder builder) =>
        builder.AddStandardResilienceHandler().Configure((options, services) =>
        {
            options.Retry.DisableForUnsafeHttpMethods();
            options.CircuitBreaker.FailureRatio = 0.5;
            if (services.GetRequiredService<IConfiguration>().GetValue<TimeSpan?>(RetryDelaySetting) is { } delay)
            {
                options.Retry.Delay = delay;
            }
        });

    public const string RetryDelaySetting = "VendorHttp:RetryDelay";
}
