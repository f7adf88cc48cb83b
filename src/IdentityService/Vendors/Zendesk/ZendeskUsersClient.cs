using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Ferry.IdentityService.Extensions;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Ferry.IdentityService.Vendors.Zendesk;

/// <summary>
/// The Zendesk users endpoints IdentityService uses (shapes per the Zendesk Support OpenAPI).
/// GETs are retried by the standard resilience handler (Retry-After honoured); the two POSTs are
/// idempotent for Ferry (create_or_update matches by email/external_id, an identity that already
/// exists is a 422 the caller inspects), so a 429 on them is waited out (Retry-After) and retried here.
/// </summary>
public sealed partial class ZendeskUsersClient(HttpClient http, IOptions<IdentityOptions> options, TimeProvider time, ILogger<ZendeskUsersClient> logger)
{
    /// <summary>
    /// Active users that Zendesk's search returns for the (quoted) address. Search is full text: a hit may
    /// merely contain the address, so the caller checks which user really holds it.
    /// </summary>
    public async Task<IReadOnlyList<ZendeskUser>> SearchByEmailAsync(string email, CancellationToken ct)
    {
        var page = await GetAsync<UsersPage>($"api/v2/users/search?query={Uri.EscapeDataString($"email:\"{email}\"")}", ct);
        return [.. (page?.Users ?? []).Where(u => u.Active).OrderBy(u => u.Id)];
    }

    public async Task<ZendeskUser?> FindByExternalIdAsync(string externalId, CancellationToken ct)
    {
        var page = await GetAsync<UsersPage>($"api/v2/users/search?external_id={Uri.EscapeDataString(externalId)}", ct);
        return (page?.Users ?? []).Where(u => u.Active).OrderBy(u => u.Id).FirstOrDefault();
    }

    /// <summary>The user (deleted users come back with active=false), or null when Zendesk does not know it.</summary>
    public async Task<ZendeskUser?> GetUserAsync(long id, CancellationToken ct) =>
        (await GetAsync<UserEnvelope>(string.Create(CultureInfo.InvariantCulture, $"api/v2/users/{id}"), ct))?.User;

    public async Task<IReadOnlyList<ZendeskIdentity>> ListIdentitiesAsync(long userId, CancellationToken ct)
    {
        var page = await GetAsync<IdentitiesPage>(string.Create(CultureInfo.InvariantCulture, $"api/v2/users/{userId}/identities"), ct);
        return page?.Identities ?? [];
    }

    /// <summary>POST /api/v2/users/create_or_update: 201 created, 200 an existing user matched by email or external_id.</summary>
    public async Task<(ZendeskUser User, bool Created)> CreateOrUpdateAsync(ZendeskUserInput input, CancellationToken ct)
    {
        using var response = await PostAsync("api/v2/users/create_or_update", new UserRequest(input), ct);
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created)
        {
            var envelope = await response.Content.ReadFromJsonAsync<UserEnvelope>(ZendeskJson.Options, ct);
            var user = envelope?.User ?? throw new ZendeskException("create_or_update answered without a user.", transient: true);
            return (user, response.StatusCode == HttpStatusCode.Created);
        }

        throw Failure(response, "create_or_update");
    }

    /// <summary>POST /api/v2/users/{id}/identities with an email identity (no verification email).</summary>
    public async Task<IdentityAddOutcome> AddEmailIdentityAsync(long userId, string email, CancellationToken ct)
    {
        using var response = await PostAsync(string.Create(CultureInfo.InvariantCulture, $"api/v2/users/{userId}/identities"),
            new IdentityRequest(new IdentityInput("email", email, SkipVerifyEmail: true)), ct);
        return response.StatusCode switch
        {
            HttpStatusCode.Created or HttpStatusCode.OK => IdentityAddOutcome.Added,
            HttpStatusCode.UnprocessableEntity => IdentityAddOutcome.Rejected,
            HttpStatusCode.NotFound => IdentityAddOutcome.UserNotFound,
            _ => throw Failure(response, "add identity"),
        };
    }

    /// <summary>Every agent and admin (offset pagination through next_page, same host only).</summary>
    public async IAsyncEnumerable<ZendeskUser> ListAgentsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        string? next = "api/v2/users?role[]=agent&role[]=admin&per_page=100";
        for (var pages = 0; next is not null && pages < 1000; pages++)
        {
            var page = await GetAsync<UsersPage>(next, ct);
            foreach (var user in page?.Users ?? [])
            {
                yield return user;
            }

            next = page?.NextPage;
            if (next is not null && Uri.TryCreate(next, UriKind.Absolute, out var absolute)
                && !string.Equals(absolute.Authority, http.BaseAddress?.Authority, StringComparison.OrdinalIgnoreCase))
            {
                // Never send the credentials to another host.
                throw new ZendeskException("Zendesk next_page points at another host.", transient: false);
            }
        }
    }

    private async Task<T?> GetAsync<T>(string uri, CancellationToken ct) where T : class
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), "GET", ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response, "GET");
        }

        return await response.Content.ReadFromJsonAsync<T>(ZendeskJson.Options, ct);
    }

    private Task<HttpResponseMessage> PostAsync<TBody>(string uri, TBody body, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, uri) { Content = JsonContent.Create(body, options: ZendeskJson.Options) }, "POST", ct);

    /// <summary>Sends, waiting out 429s (Retry-After, capped) a bounded number of times; transport failures become transient ZendeskExceptions.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, string operation, CancellationToken ct)
    {
        var limits = options.Value.Zendesk;
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                using var message = request();
                response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
            {
                throw new ZendeskException($"Zendesk is unreachable ({operation}).", transient: true, inner: e);
            }

            if (response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                return response;
            }

            var wait = RetryAfter(response) ?? limits.DefaultRetryAfter;
            response.Dispose();
            if (attempt > limits.MaxRateLimitRetries || wait > limits.MaxRetryAfter)
            {
                throw new ZendeskException($"Zendesk rate limit: retry after {wait.TotalSeconds:0} s ({operation}).", transient: true, status: 429);
            }

            LogRateLimited(logger, operation, wait.TotalSeconds, attempt);
            await Task.Delay(wait, time, ct);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
        _ => null,
    };

    private static ZendeskException Failure(HttpResponseMessage response, string operation)
    {
        var status = (int)response.StatusCode;
        var transient = status >= 500 || status is 408 or 429;
        var what = status is 401 or 403 ? "rejected the credentials" : $"answered {status}";
        return new ZendeskException($"Zendesk {what} ({operation}).", transient, status);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk rate limited {Operation}: waiting {Seconds} s before attempt {Attempt}")]
    private static partial void LogRateLimited(ILogger logger, string operation, double seconds, int attempt);
}
