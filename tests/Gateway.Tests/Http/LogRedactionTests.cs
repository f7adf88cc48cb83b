using System.Net;
using System.Text;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Gateway.Webhooks;
using Ferry.Testing;

namespace Ferry.Gateway.Tests.Http;

/// <summary>Whatever happens to a delivery, the gateway's logs hold no secret, signature, email or body.</summary>
public sealed class LogRedactionTests(RedisServer redis)
{
    [Fact]
    public async Task Rejected_accepted_and_failed_deliveries_log_ids_only()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, GatewayHost.NowhereAddress(),
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" }, logs);

        const string email = "jane.customer@example.com";
        const string marker = "PRIVATE-BODY-TEXT";
        var json = "{\"id\":\"notif_redact\",\"topic\":\"conversation.user.replied\",\"data\":{\"item\":{\"id\":\"789\",\"updated_at\":1764079100,"
            + "\"source\":{\"body\":\"" + marker + "\",\"author\":{\"email\":\"" + email + "\"}}}}}";
        var body = Encoding.UTF8.GetBytes(json);
        var wrongSignature = IntercomSignature.Sign(body, Encoding.UTF8.GetBytes("wrong-secret"));

        using (var rejected = await gateway.Http.SendAsync(Deliveries.Intercom(body, wrongSignature), ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        }

        using (var unavailable = await gateway.Http.SendAsync(Deliveries.SignedIntercom(body), ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        }

        using (var malformed = await gateway.Http.SendAsync(Deliveries.SignedIntercom("{\"email\":\"" + email + "\", " + marker), ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        }

        using (var stale = await gateway.Http.SendAsync(Deliveries.SignedZendesk(
            "{\"ticket_id\":\"1\",\"status\":\"solved\",\"requester\":\"" + email + "\"}", DateTimeOffset.UtcNow.AddHours(-1)), ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        }

        using (var unknownKey = await gateway.Http.SendAsync(Deliveries.SignedIntercom(Deliveries.IntercomJson("notif_other", "company.created")), ct))
        {
            Assert.Equal(HttpStatusCode.OK, unknownKey.StatusCode);
        }

        var all = string.Join('\n', logs.Lines);
        Assert.Contains("notif_redact", all, StringComparison.Ordinal);
        foreach (var forbidden in new[] { email, marker, GatewayHost.IntercomSecret, GatewayHost.ZendeskSecret, wrongSignature, wrongSignature["sha1=".Length..] })
        {
            Assert.DoesNotContain(forbidden, all, StringComparison.Ordinal);
        }
    }
}
