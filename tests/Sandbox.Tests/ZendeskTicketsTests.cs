using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ferry.Testing;

namespace Ferry.Sandbox.Tests;

public sealed class ZendeskTicketsTests(SandboxServer sandbox)
{
    private static async Task<string> UploadAsync(HttpClient zendesk, string name, byte[] content, string? token = null)
    {
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new("text/plain");
        var url = $"api/v2/uploads?filename={Uri.EscapeDataString(name)}" + (token is null ? "" : $"&token={token}");
        using var response = await zendesk.PostAsync(url, body, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        return json["upload"]!["token"]!.GetValue<string>();
    }

    [Fact]
    public async Task Import_keeps_authors_timestamps_and_attachments_and_is_found_by_external_id()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Req", $"{TestJson.Unique("req")}@x.example");
        var agent = sandbox.Zendesk.AddUser("Agent", $"{TestJson.Unique("ag")}@x.example", "agent");
        var token = await UploadAsync(zendesk, "log.txt", "hello"u8.ToArray());
        var externalId = TestJson.Unique("intercom-conversation");

        var (response, body) = await zendesk.PostJsonAsync("api/v2/imports/tickets", new
        {
            ticket = new
            {
                requester_id = requester.Id,
                assignee_id = agent.Id,
                subject = "Ünïcode <subject>",
                external_id = externalId,
                status = "open",
                tags = new[] { "intercom" },
                comments = new object[]
                {
                    new { author_id = requester.Id, created_at = "2024-01-02T03:04:05Z", html_body = "<p>Hi</p>", @public = true },
                    new { author_id = agent.Id, created_at = "2024-01-02T04:00:00Z", value = "Note", @public = false, uploads = new[] { token } },
                },
            },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = body["ticket"]!["id"]!.GetValue<long>();
        Assert.Equal("2024-01-02T03:04:05Z", body["ticket"]!["created_at"]!.GetValue<string>());

        var (_, comments) = await zendesk.GetJsonAsync($"api/v2/tickets/{id}/comments.json");
        var list = comments["comments"]!.AsArray();
        Assert.Equal(2, list.Count);
        Assert.Equal(agent.Id, list[1]!["author_id"]!.GetValue<long>());
        Assert.False(list[1]!["public"]!.GetValue<bool>());
        var attachment = list[1]!["attachments"]![0]!;
        Assert.Equal("log.txt", attachment["file_name"]!.GetValue<string>());

        using var download = await zendesk.GetAsync(attachment["content_url"]!.GetValue<string>(), TestContext.Current.CancellationToken);
        Assert.Equal("hello", await download.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        var (_, found) = await zendesk.GetJsonAsync($"api/v2/tickets?external_id={externalId}");
        Assert.Equal(id, found["tickets"]![0]!["id"]!.GetValue<long>());
    }

    [Fact]
    public async Task Comments_sorted_descending_start_with_the_newest_page()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Req", $"{TestJson.Unique("req")}@x.example");
        var (_, created) = await zendesk.PostJsonAsync("api/v2/imports/tickets", new
        {
            ticket = new
            {
                requester_id = requester.Id,
                subject = "Long",
                comments = Enumerable.Range(1, 150).Select(i => new { author_id = requester.Id, value = $"Comment {i}" }).ToArray(),
            },
        });
        var id = created["ticket"]!["id"]!.GetValue<long>();

        var (_, newest) = await zendesk.GetJsonAsync($"api/v2/tickets/{id}/comments?sort_order=desc&per_page=100");
        var (_, oldest) = await zendesk.GetJsonAsync($"api/v2/tickets/{id}/comments?sort_order=asc&per_page=100");

        var newestBodies = newest["comments"]!.AsArray().Select(c => c!["body"]!.GetValue<string>()).ToList();
        Assert.Equal(100, newestBodies.Count);
        Assert.Equal("Comment 150", newestBodies[0]);
        Assert.Equal("Comment 51", newestBodies[^1]);
        Assert.Equal("Comment 1", oldest["comments"]![0]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Comments_with_include_users_side_load_the_authors_of_the_page()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Req", $"{TestJson.Unique("req")}@x.example");
        var agent = sandbox.Zendesk.AddUser("Agent", $"{TestJson.Unique("agent")}@x.example", "agent");
        var (_, created) = await zendesk.PostJsonAsync("api/v2/imports/tickets", new
        {
            ticket = new
            {
                requester_id = requester.Id,
                subject = "Two authors",
                comments = new[] { new { author_id = requester.Id, value = "Question" }, new { author_id = agent.Id, value = "Answer" }, new { author_id = requester.Id, value = "Thanks" } },
            },
        });
        var id = created["ticket"]!["id"]!.GetValue<long>();

        var (_, withUsers) = await zendesk.GetJsonAsync($"api/v2/tickets/{id}/comments?include=users");
        var (_, lastPage) = await zendesk.GetJsonAsync($"api/v2/tickets/{id}/comments?include=users&per_page=1&page=3");
        var (_, plain) = await zendesk.GetJsonAsync($"api/v2/tickets/{id}/comments");

        var users = withUsers["users"]!.AsArray();
        Assert.Equal([requester.Id, agent.Id], users.Select(u => u!["id"]!.GetValue<long>()));
        Assert.Equal("agent", users[1]!["role"]!.GetValue<string>());
        Assert.Equal([requester.Id], lastPage["users"]!.AsArray().Select(u => u!["id"]!.GetValue<long>()));
        Assert.Null(plain["users"]);
    }

    [Fact]
    public async Task Create_many_returns_a_job_status_that_completes()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Req", $"{TestJson.Unique("req")}@x.example");
        var tickets = Enumerable.Range(0, 3).Select(i => new
        {
            requester_id = requester.Id,
            subject = $"Bulk {i}",
            comments = new[] { new { author_id = requester.Id, value = $"Body {i}" } },
        }).ToArray();

        var (response, job) = await zendesk.PostJsonAsync("api/v2/imports/tickets/create_many", new { tickets });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("queued", job["job_status"]!["status"]!.GetValue<string>());
        var jobId = job["job_status"]!["id"]!.GetValue<string>();

        var (_, first) = await zendesk.GetJsonAsync($"api/v2/job_statuses/{jobId}");
        var (_, working) = await zendesk.GetJsonAsync($"api/v2/job_statuses/{jobId}");
        var (_, done) = await zendesk.GetJsonAsync($"api/v2/job_statuses/{jobId}.json");
        Assert.Equal("queued", first["job_status"]!["status"]!.GetValue<string>());
        Assert.Equal(("working", 1), (working["job_status"]!["status"]!.GetValue<string>(), working["job_status"]!["progress"]!.GetValue<int>()));
        Assert.Null(working["job_status"]!["results"]);
        Assert.Equal("completed", done["job_status"]!["status"]!.GetValue<string>());
        Assert.Equal(3, done["job_status"]!["results"]!.AsArray().Count);
    }

    [Fact]
    public async Task Updates_add_one_comment_each_and_closed_tickets_are_immutable()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Req", $"{TestJson.Unique("req")}@x.example");
        var (_, created) = await zendesk.PostJsonAsync("api/v2/tickets", new { ticket = new { requester_id = requester.Id, subject = "S", comment = new { body = "first" } } });
        var id = created["ticket"]!["id"]!.GetValue<long>();

        var (updated, _) = await zendesk.PutJsonAsync($"api/v2/tickets/{id}", new { ticket = new { status = "solved", comment = new { body = "second", @public = false } } });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(2, sandbox.Zendesk.Ticket(id)!.Comments.Count);

        await zendesk.PutJsonAsync($"api/v2/tickets/{id}", new { ticket = new { status = "closed" } });
        var (rejected, error) = await zendesk.PutJsonAsync($"api/v2/tickets/{id}", new { ticket = new { comment = new { body = "late" } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
        Assert.Equal("RecordInvalid", error["error"]!.GetValue<string>());
        Assert.Contains("closed", error["details"]!["status"]![0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);

        var (followup, body) = await zendesk.PostJsonAsync("api/v2/tickets", new
        {
            ticket = new { requester_id = requester.Id, subject = "Follow-up", via_followup_source_id = id, comment = new { body = "again" } },
        });
        Assert.Equal(HttpStatusCode.Created, followup.StatusCode);
        Assert.Equal("follow_up", body["ticket"]!["via"]!["source"]!["rel"]!.GetValue<string>());
        Assert.Contains(body["ticket"]!["id"]!.GetValue<long>(), sandbox.Zendesk.Ticket(id)!.FollowupIds);
    }

    [Fact]
    public async Task Idempotency_key_replays_the_same_body_and_rejects_a_different_one()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var requester = sandbox.Zendesk.AddUser("Req", $"{TestJson.Unique("req")}@x.example");
        var key = Guid.NewGuid().ToString();
        var ticket = new { ticket = new { requester_id = requester.Id, subject = "Once", comments = new[] { new { value = "x" } } } };

        async Task<(HttpResponseMessage, JsonNode)> Send(object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v2/imports/tickets") { Content = System.Net.Http.Json.JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", key);
            var response = await zendesk.SendAsync(request, TestContext.Current.CancellationToken);
            return (response, JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!);
        }

        var (first, a) = await Send(ticket);
        var (second, b) = await Send(ticket);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(a["ticket"]!["id"]!.GetValue<long>(), b["ticket"]!["id"]!.GetValue<long>());
        Assert.Equal("hit", second.Headers.GetValues("x-idempotency-lookup").Single());

        var (different, error) = await Send(new { ticket = new { requester_id = requester.Id, subject = "Other", comments = new[] { new { value = "y" } } } });
        Assert.Equal(HttpStatusCode.BadRequest, different.StatusCode);
        Assert.Equal("IdempotentRequestError", error["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Upload_tokens_expire_after_sixty_minutes()
    {
        await using var own = await SandboxServer.CreateAsync();
        using var zendesk = own.CreateZendeskClient();
        var requester = own.Zendesk.AddUser("Req", "req@x.example");
        var token = await UploadAsync(zendesk, "a.txt", [1, 2, 3]);

        own.Clock.Advance(TimeSpan.FromMinutes(61));
        var (response, error) = await zendesk.PostJsonAsync("api/v2/imports/tickets", new
        {
            ticket = new { requester_id = requester.Id, subject = "Late", comments = new[] { new { value = "x", uploads = new[] { token } } } },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("expired", error["details"]!["uploads"]![0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_50_MB_upload_is_streamed_and_verified_by_checksum()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        const long size = 50L * 1024 * 1024;
        using var stream = new GeneratedStream(size, seed: 7);
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new("application/octet-stream");
        using var response = await zendesk.PostAsync("api/v2/uploads?filename=big.bin", content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var token = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["upload"]!["token"]!.GetValue<string>();

        var attachment = sandbox.Zendesk.Uploads().Single(u => u.Token == token).Attachments.Single();
        Assert.Equal(size, attachment.Size);
        Assert.Null(attachment.Content);
        Assert.Equal(stream.Sha256Hex(), attachment.Sha256);
    }

    [Fact]
    public async Task Rate_limit_answers_429_with_retry_after_and_headers()
    {
        await using var own = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Zendesk:RateLimitPerMinute"] = "2" });
        using var zendesk = own.CreateZendeskClient();
        var (first, _) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal("2", first.Headers.GetValues("X-Rate-Limit").Single());
        Assert.Equal("1", first.Headers.GetValues("X-Rate-Limit-Remaining").Single());
        await zendesk.GetJsonAsync("api/v2/groups");
        var (limited, error) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("APIRateLimitExceeded", error["error"]!.GetValue<string>());

        own.Clock.Advance(TimeSpan.FromMinutes(1));
        var (again, _) = await zendesk.GetJsonAsync("api/v2/groups");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Invalid_requests_get_400_or_422_with_a_reason()
    {
        using var zendesk = sandbox.CreateZendeskClient();
        var (notJson, e1) = await zendesk.PostJsonAsync("api/v2/imports/tickets", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("JSON", e1["description"]!.GetValue<string>(), StringComparison.Ordinal);

        var (noRequester, e2) = await zendesk.PostJsonAsync("api/v2/imports/tickets", new { ticket = new { subject = "x" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noRequester.StatusCode);
        Assert.NotNull(e2["details"]!["requester"]);
    }
}

/// <summary>A read-only stream of deterministic bytes that hashes what it hands out.</summary>
internal sealed class GeneratedStream(long length, int seed) : Stream
{
    private readonly Random _random = new(seed);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;
    private string? _sha256;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public string Sha256Hex() => _sha256 ?? throw new InvalidOperationException("Not read to the end.");

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, length - _position);
        _random.NextBytes(buffer.AsSpan(offset, n));
        _hash.AppendData(buffer, offset, n);
        _position += n;
        if (_position == length && _sha256 is null)
        {
            _sha256 = Convert.ToHexStringLower(_hash.GetCurrentHash());
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _hash.Dispose();
        base.Dispose(disposing);
    }
}
