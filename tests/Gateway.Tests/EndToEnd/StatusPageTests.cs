using System.Net;
using System.Text.RegularExpressions;
using Ferry.Gateway.Api;
using Ferry.Gateway.StatusPage;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Testing;
using Npgsql;

namespace Ferry.Gateway.Tests.EndToEnd;

/// <summary>The real TicketService (own process, real Postgres) behind the gateway's status page; IdentityService is down.</summary>
public sealed class StatusPageBackend(PostgresServer postgres, RedisServer redis) : IAsyncLifetime
{
    public const string OperatorKey = "test-operator-key-for-ada";
    public const string Operator = "ada";

    public GatewayHost Gateway { get; private set; } = null!;

    /// <summary>A second gateway replica, in a process of its own, on the same Redis: a browser's session must work on either.</summary>
    public Uri ReplicaAddress { get; } = new($"http://127.0.0.1:{GatewayHost.FreePort()}");

    private ServiceProcess _replica = null!;

    public NpgsqlDataSource Database { get; private set; } = null!;

    private ServiceProcess _tickets = null!;

    public async ValueTask InitializeAsync()
    {
        var database = await postgres.CreateDatabaseAsync("statuspage");
        _tickets = await TicketServiceProcess.StartAsync(GatewayHost.FreePort(), database, redis.ConnectionString);
        Database = NpgsqlDataSource.Create(database);
        var settings = new Dictionary<string, string?>
        {
            [$"{OperatorOptions.KeysSection}:{Operator}"] = ApiKeyStore.Hash(OperatorKey),
            ["services:identity:grpc:0"] = GatewayHost.NowhereAddress().ToString(),
            ["Operator:ZendeskTicketUrl"] = "https://acme.zendesk.example/agent/tickets/{id}",
            ["Operator:IntercomConversationUrl"] = "https://app.intercom.example/conversations/{id}",
        };
        Gateway = await GatewayHost.StartAsync(redis.ConnectionString, _tickets.GrpcAddress!, settings);
        _replica = await GatewayHost.StartProcessAsync(ReplicaAddress, redis.ConnectionString, _tickets.GrpcAddress!, settings);
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await _replica.DisposeAsync();
        await Database.DisposeAsync();
        await _tickets.DisposeAsync();
    }
}

/// <summary>
/// /operator: only operator keys get in (a form, then an HttpOnly SameSite=Strict cookie), vendor text is
/// HTML-encoded, and the page's actions reach TicketService only with an anti-forgery token.
/// </summary>
public sealed partial class StatusPageTests(StatusPageBackend backend) : IClassFixture<StatusPageBackend>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_signing_in_the_page_sends_the_browser_to_the_login_form_and_an_API_key_does_not_open_it()
    {
        using var browser = Browser();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/operator") { Headers = { { ApiKeyAuthenticationHandler.HeaderName, GatewayHost.ApiKey } } };

        using var response = await browser.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/operator/login", response.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_401_and_no_session()
    {
        using var browser = Browser(out var cookies);
        var token = await TokenAsync(browser, "/operator/login");

        using var response = await PostAsync(browser, "/operator/login", token, ("key", "not-the-operator-key"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("id=\"refused\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "ferry-operator");
    }

    [Fact]
    public async Task The_operator_key_signs_in_with_an_HttpOnly_SameSite_Strict_cookie_limited_to_the_page()
    {
        using var browser = Browser(out _);
        var token = await TokenAsync(browser, "/operator/login");

        using var response = await PostAsync(browser, "/operator/login", token, ("key", StatusPageBackend.OperatorKey));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("ferry-operator=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/operator", cookie, StringComparison.OrdinalIgnoreCase);
        using var page = await browser.GetAsync(new Uri("/operator", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_job_shows_its_vendor_reason_encoded_with_links_and_its_retry_button_queues_it_again()
    {
        var conversationId = $"c{Random.Shared.Next(1_000_000, 9_999_999)}";
        var reason = $"Zendesk import ticket failed with 422: <script>alert('{conversationId}')</script> & more";
        var jobId = await DeadJobAsync(conversationId, reason);
        using var browser = await SignedInAsync();

        var html = await browser.GetStringAsync(new Uri("/operator", UriKind.Relative), Ct);

        Assert.DoesNotContain($"<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"https://app.intercom.example/conversations/{conversationId}\"", html, StringComparison.Ordinal);
        Assert.Contains("IdentityService did not answer", html, StringComparison.Ordinal);

        using var retried = await PostAsync(browser, "/operator/retry", Token(html), ("jobId", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(HttpStatusCode.Redirect, retried.StatusCode);
        Assert.Equal("/operator?done=retried&count=1", retried.Headers.Location!.OriginalString);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM sync.jobs WHERE conversation_id = @c AND trigger = 'retry'", conversationId));
    }

    [Fact]
    public async Task Retry_by_reason_queues_every_dead_job_with_exactly_that_reason()
    {
        var reason = $"Zendesk: requester suspended ({Guid.NewGuid():N})";
        await DeadJobAsync($"r{Random.Shared.Next(1_000_000, 9_999_999)}", reason);
        await DeadJobAsync($"r{Random.Shared.Next(1_000_000, 9_999_999)}", reason);
        using var browser = await SignedInAsync();
        var token = await TokenAsync(browser, "/operator");

        using var retried = await PostAsync(browser, "/operator/retry", token, ("deadReason", reason));

        Assert.Equal("/operator?done=retried&count=2", retried.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Dismissing_a_dead_job_takes_it_off_the_page_and_TicketService_records_the_operator_and_the_note()
    {
        var conversationId = $"d{Random.Shared.Next(1_000_000, 9_999_999)}";
        var jobId = await DeadJobAsync(conversationId, "Zendesk ticket 7 no longer exists (deleted in Zendesk?).");
        using var browser = await SignedInAsync();
        var html = await browser.GetStringAsync(new Uri("/operator", UriKind.Relative), Ct);
        Assert.Contains($"data-conversation-id=\"{conversationId}\"", html, StringComparison.Ordinal);

        using var noNote = await PostAsync(browser, "/operator/dismiss", Token(html), ("jobId", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        using var dismissed = await PostAsync(browser, "/operator/dismiss", Token(html),
            ("jobId", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("note", "spam ticket, deleted on purpose"));

        Assert.Equal("/operator?done=dismissed&count=1", dismissed.Headers.Location!.OriginalString);
        var after = await browser.GetStringAsync(new Uri("/operator", UriKind.Relative), Ct);
        Assert.DoesNotContain($"data-conversation-id=\"{conversationId}\"", TableOf(after, "dead-jobs"), StringComparison.Ordinal);
        // Seen by the next operator: who dismissed it and why, with a way back (Retry).
        var row = TableOf(after, "dismissed");
        Assert.Contains($"data-conversation-id=\"{conversationId}\"", row, StringComparison.Ordinal);
        Assert.Contains($"<td>{StatusPageBackend.Operator}</td><td class=\"reason\">spam ticket, deleted on purpose</td>", row, StringComparison.Ordinal);
        await using var command = backend.Database.CreateCommand("SELECT dismissed_by || ': ' || dismissal_note FROM sync.jobs WHERE job_id = @job");
        command.Parameters.AddWithValue("job", jobId);
        Assert.Equal($"{StatusPageBackend.Operator}: spam ticket, deleted on purpose", await command.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task An_action_without_the_anti_forgery_token_is_rejected_and_reaches_nothing()
    {
        var conversationId = $"f{Random.Shared.Next(1_000_000, 9_999_999)}";
        var jobId = await DeadJobAsync(conversationId, "forged");
        using var browser = await SignedInAsync();

        using var forged = await PostAsync(browser, "/operator/retry", token: null, ("jobId", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM sync.jobs WHERE conversation_id = @c AND trigger = 'retry'", conversationId));
    }

    [Fact]
    public async Task Pause_and_resume_go_to_TicketService_and_the_page_says_so()
    {
        using var browser = await SignedInAsync();
        var token = await TokenAsync(browser, "/operator");

        using var paused = await PostAsync(browser, "/operator/pause", token, ("paused", "true"), ("reason", "Zendesk <maintenance>"));
        Assert.SkipWhen(paused.Headers.Location!.OriginalString.EndsWith("failed=Unimplemented", StringComparison.Ordinal), "SetPaused is not implemented in this TicketService yet.");
        Assert.Equal("/operator?done=paused&count=1", paused.Headers.Location.OriginalString);
        var html = await browser.GetStringAsync(new Uri("/operator?done=paused&count=1", UriKind.Relative), Ct);
        Assert.Contains("Zendesk &lt;maintenance&gt; (ada)", html, StringComparison.Ordinal);

        using var resumed = await PostAsync(browser, "/operator/pause", Token(html), ("paused", "false"));
        Assert.Equal("/operator?done=resumed&count=0", resumed.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_session_and_its_form_tokens_from_one_gateway_replica_work_on_another()
    {
        // Behind a load balancer consecutive requests reach different replicas: they must share the cookie keys.
        var conversationId = $"s{Random.Shared.Next(1_000_000, 9_999_999)}";
        var jobId = await DeadJobAsync(conversationId, "replica");
        using var first = Browser(out var cookies);
        var token = await TokenAsync(first, "/operator/login");
        using var signedIn = await PostAsync(first, "/operator/login", token, ("key", StatusPageBackend.OperatorKey));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var html = await first.GetStringAsync(new Uri("/operator", UriKind.Relative), Ct);
        using var second = Browser(cookies, backend.ReplicaAddress);

        using var page = await second.GetAsync(new Uri("/operator", UriKind.Relative), Ct);
        using var retried = await PostAsync(second, "/operator/retry", Token(html), ("jobId", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("/operator?done=retried&count=1", retried.Headers.Location?.OriginalString);
    }

    private HttpClient Browser() => Browser(out _);

    private HttpClient Browser(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return Browser(cookies, backend.Gateway.HttpAddress);
    }

    private static HttpClient Browser(CookieContainer cookies, Uri gateway) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = gateway };

    private async Task<HttpClient> SignedInAsync()
    {
        var browser = Browser();
        var token = await TokenAsync(browser, "/operator/login");
        using var response = await PostAsync(browser, "/operator/login", token, ("key", StatusPageBackend.OperatorKey));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return browser;
    }

    private static async Task<string> TokenAsync(HttpClient browser, string path) =>
        Token(await browser.GetStringAsync(new Uri(path, UriKind.Relative), Ct));

    /// <summary>The page's table with this id (empty when the page has none).</summary>
    private static string TableOf(string html, string id)
    {
        var start = html.IndexOf($"<table id=\"{id}\"", StringComparison.Ordinal);
        return start < 0 ? "" : html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)];
    }

    private static string Token(string html) => AntiforgeryField().Match(html) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException("No anti-forgery token in the page.");

    private static Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, string? token, params (string Name, string Value)[] fields)
    {
        var form = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).ToList();
        if (token is not null)
        {
            form.Add(new("__RequestVerificationToken", token));
        }

        return browser.PostAsync(new Uri(path, UriKind.Relative), new FormUrlEncodedContent(form), Ct);
    }

    private async Task<long> DeadJobAsync(string conversationId, string reason)
    {
        await using var command = backend.Database.CreateCommand("""
            INSERT INTO sync.jobs (conversation_id, trigger, state, attempt, last_error, dead_at)
            VALUES (@conversation_id, 'webhook', 'dead', 2, @reason, now()) RETURNING job_id
            """);
        command.Parameters.AddWithValue("conversation_id", conversationId);
        command.Parameters.AddWithValue("reason", reason);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private async Task<long> ScalarAsync(string sql, string conversationId)
    {
        await using var command = backend.Database.CreateCommand(sql);
        command.Parameters.AddWithValue("c", conversationId);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
