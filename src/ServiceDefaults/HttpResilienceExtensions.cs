using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Microsoft.Extensions.Hosting;

public static class HttpResilienceExtensions
{
    /// <summary>
    /// The standard resilience pipeline for a plain HTTP client (vendor APIs, downloads), with
    /// retries limited to safe methods: a POST that creates something is retried only by code
    /// that made it idempotent (Idempotency-Key, lookup before create), never by this handler.
    /// </summary>
    public static IHttpStandardResiliencePipelineBuilder AddFerryHttpResilience(this IHttpClientBuilder builder) =>
        builder.AddStandardResilienceHandler(options => options.Retry.DisableForUnsafeHttpMethods());
}
