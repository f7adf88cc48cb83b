using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Ferry.Gateway.Api;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Gateway.Webhooks;
using Ferry.Testing;
using StackExchange.Redis;

namespace Ferry.Gateway.Tests.Http;

/// <summary>
/// The webhook endpoints through a real gateway (Kestrel, real Redis) while TicketService is down: everything
/// that must be answered without queueing answers 2xx/4xx, everything that must be queued answers 503.
/// </summary>
public sealed class WebhookIntakeTests(RedisServer redis) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;
    private ConnectionMultiplexer _redis = null!;

    public async ValueTask InitializeAsync()
    {
        _gateway = await GatewayHost.StartAsync(redis.ConnectionString, GatewayHost.NowhereAddress());
        _redis = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _gateway.Http.SendAsync(request, Ct);

    [Theory]
    [InlineData(WebhookEndpoints.IntercomPath)]
    [InlineData(WebhookEndpoints.ZendeskPath)]
    public async Task Head_answers_200(string path)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Intercom_ping_answers_200()
    {
        using var response = await SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson("notif_ping_" + Guid.NewGuid(), "ping")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_acknowledgement_is_written_in_one_piece_with_its_length()
    {
        // Chunked encoding would send the body and its terminating chunk as two writes for a 35-byte answer.
        using var response = await SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson("notif_unused_" + Guid.NewGuid(), "company.created")));
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"unused_topic","jobId":0}""", body);
        Assert.Equal(Encoding.UTF8.GetByteCount(body), response.Content.Headers.ContentLength);
        Assert.Null(response.Headers.TransferEncodingChunked);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task A_webhook_is_one_server_span_tagged_with_its_delivery_and_no_span_of_the_gateways_own()
    {
        var id = "notif_span_" + Guid.NewGuid();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" || source.Name.StartsWith("Ferry.", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await _redis.GetDatabase().StringSetAsync(DeliveryDedup.Key("intercom", id), 1, TimeSpan.FromMinutes(5));

        using var response = await SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson(id, "conversation.user.replied", "777001")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var span = Assert.Single(spans, s => s.GetTagItem("ferry.delivery_id") as string == id);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal("conversation.user.replied", span.GetTagItem("ferry.topic"));
        Assert.Equal("777001", span.GetTagItem("ferry.conversation_id"));
        Assert.DoesNotContain(spans, s => s.TraceId == span.TraceId && s.Source.Name.StartsWith("Ferry.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Intercom_unused_topic_answers_200_without_queueing()
    {
        // TicketService is down: had the gateway tried to queue this, it would have answered 503.
        var id = "notif_unused_" + Guid.NewGuid();
        using var response = await SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson(id, "company.created")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("unused_topic", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.False(await _redis.GetDatabase().KeyExistsAsync(DeliveryDedup.Key("intercom", id)));
    }

    [Fact]
    public async Task A_webhook_is_proven_by_its_signature_alone_and_no_API_key_on_it_is_checked()
    {
        // The gateway's authentication runs for every endpoint but the webhooks: a stray key on a delivery is not
        // looked up, so it neither logs "Unknown API key" nor costs the delivery a DI scope and a handler.
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, GatewayHost.NowhereAddress(), logs: logs);
        using var delivery = Deliveries.SignedIntercom(Deliveries.IntercomJson("notif_keyed_" + Guid.NewGuid(), "company.created"));
        delivery.Headers.Add(ApiKeyAuthenticationHandler.HeaderName, "not-a-key");

        using var response = await gateway.Http.SendAsync(delivery, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(logs.Lines, line => line.Contains("Unknown API key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Intercom_without_signature_is_401()
    {
        using var response = await SendAsync(Deliveries.Intercom(Encoding.UTF8.GetBytes(Deliveries.IntercomJson("n1", "conversation.user.created")), null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Intercom_with_a_signature_from_another_secret_is_401()
    {
        var body = Encoding.UTF8.GetBytes(Deliveries.IntercomJson("n1", "conversation.user.created"));
        using var response = await SendAsync(Deliveries.Intercom(body, IntercomSignature.Sign(body, Encoding.UTF8.GetBytes("wrong"))));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Intercom_signature_over_re_serialised_json_is_401()
    {
        var body = Encoding.UTF8.GetBytes(Deliveries.IntercomJson("n1", "conversation.user.created"));
        var signedOverOtherBytes = IntercomSignature.Sign(JsonBytes.Reserialise(body), GatewayHost.IntercomSecretBytes);
        using var response = await SendAsync(Deliveries.Intercom(body, signedOverOtherBytes));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Intercom_invalid_signature_is_rejected_before_parsing()
    {
        // Malformed JSON with a wrong signature: 401, not 400, because nothing unverified is parsed.
        using var response = await SendAsync(Deliveries.Intercom("{not json"u8.ToArray(), "sha1=" + new string('0', 40)));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Intercom_malformed_json_is_400_with_the_reason()
    {
        using var response = await SendAsync(Deliveries.SignedIntercom("{\"id\":\"n1\",\"topic\":"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("body is not valid JSON", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Intercom_missing_fields_are_400_with_the_reason()
    {
        using var response = await SendAsync(Deliveries.SignedIntercom("{\"id\":\"n1\",\"topic\":\"conversation.user.replied\",\"data\":{\"item\":{}}}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("data.item.id", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_body_is_413()
    {
        var body = new byte[(1024 * 1024) + 1];
        body.AsSpan().Fill((byte)' ');
        using var response = await SendAsync(Deliveries.SignedIntercom(body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Oversized_chunked_body_without_content_length_is_413()
    {
        var body = new byte[(1024 * 1024) + 1];
        body.AsSpan().Fill((byte)' ');
        var request = new HttpRequestMessage(HttpMethod.Post, WebhookEndpoints.ZendeskPath) { Content = new StreamContent(new UnknownLengthStream(body)) };
        request.Headers.TransferEncodingChunked = true;
        using var response = await SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Used_topic_while_TicketService_is_down_is_503_with_Retry_After_and_not_marked_seen()
    {
        var id = "notif_down_" + Guid.NewGuid();
        using var response = await SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson(id, "conversation.user.replied")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
        // The fast-dedup mark is set only after a successful Enqueue, so the vendor's retry is not swallowed.
        Assert.False(await _redis.GetDatabase().KeyExistsAsync(DeliveryDedup.Key("intercom", id)));
        using var retry = await SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson(id, "conversation.user.replied")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, retry.StatusCode);
    }

    [Fact]
    public async Task Delivery_already_seen_in_Redis_is_acknowledged_without_queueing_again()
    {
        var id = "notif_seen_" + Guid.NewGuid();
        await _redis.GetDatabase().StringSetAsync(DeliveryDedup.Key("intercom", id), 1, TimeSpan.FromMinutes(5));
        using var response = await SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson(id, "conversation.user.replied")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("duplicate", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zendesk_valid_delivery_while_TicketService_is_down_is_503()
    {
        using var response = await SendAsync(Deliveries.SignedZendesk(Deliveries.ZendeskJson(), invocationId: "inv_" + Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Zendesk_signed_content_already_seen_is_acknowledged_whatever_its_invocation_id()
    {
        var json = Deliveries.ZendeskJson(Random.Shared.NextInt64(100_000, 900_000));
        var at = DateTimeOffset.UtcNow;
        var timestamp = at.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var seen = ZendeskWebhooks.ContentDeliveryId(timestamp, Encoding.UTF8.GetBytes(json));
        await _redis.GetDatabase().StringSetAsync(DeliveryDedup.Key("zendesk", seen), 1, TimeSpan.FromMinutes(5));
        using var response = await SendAsync(Deliveries.SignedZendesk(json, at, invocationId: "inv_new_" + Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("duplicate", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-10)]
    [InlineData(10)]
    public async Task Zendesk_stale_timestamp_is_401(int minutes)
    {
        using var response = await SendAsync(Deliveries.SignedZendesk(Deliveries.ZendeskJson(), DateTimeOffset.UtcNow.AddMinutes(minutes)));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Zendesk_wrong_signature_is_401()
    {
        using var response = await SendAsync(Deliveries.SignedZendesk(Deliveries.ZendeskJson(), signatureOverride: Convert.ToBase64String(new byte[32])));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Zendesk_signature_over_re_serialised_json_is_401()
    {
        var json = Deliveries.ZendeskJson();
        var timestamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, WebhookEndpoints.ZendeskPath) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(ZendeskSignature.TimestampHeader, timestamp);
        request.Headers.TryAddWithoutValidation(ZendeskSignature.SignatureHeader,
            ZendeskSignature.Sign(JsonBytes.Reserialise(Encoding.UTF8.GetBytes(json)), timestamp, GatewayHost.ZendeskSecretBytes));
        using var response = await SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Zendesk_without_signature_headers_is_401()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, WebhookEndpoints.ZendeskPath) { Content = new StringContent(Deliveries.ZendeskJson()) };
        using var response = await SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Zendesk_malformed_payload_is_400_with_the_reason()
    {
        using var response = await SendAsync(Deliveries.SignedZendesk("{\"ticket_id\": \"123\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("missing field: status", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    /// <summary>A body stream that does not tell its length, so the client sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
