using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Ferry.ServiceDefaults.Vendors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Ferry.TicketService.Tests.Vendors;

/// <summary>A vendor API stand-in: answers the queued statuses (then 200) and records when each request arrived.</summary>
internal sealed class VendorStub(params (HttpStatusCode Status, int RetryAfterSeconds)[] answers) : HttpMessageHandler
{
    private readonly Queue<(HttpStatusCode Status, int RetryAfterSeconds)> _answers = new(answers);

    public List<long> Arrivals { get; } = [];

    /// <summary>When the last 429 was answered (Stopwatch timestamp).</summary>
    public long RateLimitedAt { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (Arrivals)
        {
            Arrivals.Add(Stopwatch.GetTimestamp());
            var (status, retryAfter) = _answers.TryDequeue(out var next) ? next : (HttpStatusCode.OK, 0);
            var response = new HttpResponseMessage(status) { RequestMessage = request };
            if (status == HttpStatusCode.TooManyRequests)
            {
                response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(retryAfter));
                RateLimitedAt = Stopwatch.GetTimestamp();
            }

            return Task.FromResult(response);
        }
    }

    /// <summary>A vendor client of one "service": the budget's handler in front of this stub.</summary>
    public HttpClient ClientThrough(SharedRateBudget budget, string vendor) =>
        new(new SharedRateBudget.Handler(budget, vendor, () => 6000) { InnerHandler = this }, disposeHandler: false)
        {
            BaseAddress = new Uri("http://vendor.test/"),
        };

    public static SharedRateBudget Budget(IConnectionMultiplexer redis, RateLimitOptions? options = null) =>
        new(redis, Options.Create(options ?? new RateLimitOptions()), TimeProvider.System, NullLogger<SharedRateBudget>.Instance);
}
