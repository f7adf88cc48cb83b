using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.ServiceDefaults.Vendors;

namespace Ferry.TicketService.Vendors;

/// <summary>The vendor asked us to slow down: the job is deferred by <see cref="RetryAfter"/>, not failed.</summary>
public sealed class VendorRateLimitedException(string vendor, TimeSpan retryAfter)
    : VendorFailureException($"{vendor} rate limit reached; retry after {retryAfter.TotalSeconds:0.#} s")
{
    public string Vendor { get; } = vendor;

    public TimeSpan RetryAfter { get; } = retryAfter;

    public override bool IsTransient => true;
}

/// <summary>A vendor answered with an error status. 5xx and timeouts are transient; most 4xx are not.</summary>
public sealed class VendorException(string vendor, HttpStatusCode status, string operation, string? detail)
    : VendorFailureException($"{vendor} {operation} failed with {(int)status} {status}{(string.IsNullOrEmpty(detail) ? "" : ": " + detail)}")
{
    public string Vendor { get; } = vendor;

    public HttpStatusCode Status { get; } = status;

    public override bool IsTransient => (int)Status >= 500 || Status == HttpStatusCode.RequestTimeout;
}

public static class VendorResponses
{
    /// <summary>Both vendors speak snake_case JSON; some ids arrive as strings.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>GET a JSON resource; null when the vendor does not know it (404).</summary>
    public static async Task<T?> GetOrNullAsync<T>(this HttpClient http, string path, string vendor, string operation, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return default;
        }

        await response.EnsureSuccessAsync(vendor, operation, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
    }

    /// <summary>Throws the matching exception for a non-success response. The detail is the vendor's error text, truncated (never a request body).</summary>
    public static async Task EnsureSuccessAsync(this HttpResponseMessage response, string vendor, string operation, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            throw new VendorRateLimitedException(vendor, VendorRetryAfter.Of(response, TimeProvider.System));
        }

        var detail = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new VendorException(vendor, response.StatusCode, operation, detail.Length > 300 ? detail[..300] : detail);
    }
}
