using System.Net;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Gateway.Webhooks;
using Ferry.Testing;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Tests.Http;

/// <summary>Bodies nobody has signed yet are anyone's: how many are read at once is bounded, and secrets are checked at start-up.</summary>
public sealed class UnverifiedBodiesTests(RedisServer redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Past_the_unverified_body_limit_and_its_queue_a_delivery_gets_503_and_the_slot_frees_once_the_body_is_read()
    {
        await using var gateway = await GatewayHost.StartAsync(redis.ConnectionString, GatewayHost.NowhereAddress(), new Dictionary<string, string?>
        {
            ["Gateway:Webhooks:MaxUnverifiedBodies"] = "1",
            ["Gateway:Webhooks:UnverifiedQueueLimit"] = "0",
        });

        // A sender that starts a body and stalls holds the only slot (raw TCP: nothing buffers the partial body).
        using (var stalled = new System.Net.Sockets.TcpClient())
        {
            await stalled.ConnectAsync(gateway.HttpAddress.Host, gateway.HttpAddress.Port, Ct);
            await stalled.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                $"POST {WebhookEndpoints.IntercomPath} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"), Ct);
            await Task.Delay(500, Ct);

            using var refused = await gateway.Http.SendAsync(Deliveries.SignedIntercom("""{"type":"notification_event","topic":"ping","id":"n1","data":{"item":{}}}"""u8.ToArray()), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("7", refused.Headers.GetValues("Retry-After").Single());
        }

        // The stalled sender hung up: its slot is free again.
        await Task.Delay(500, Ct);
        using var ping = await gateway.Http.SendAsync(Deliveries.SignedIntercom("""{"type":"notification_event","topic":"ping","id":"n2","data":{"item":{}}}"""u8.ToArray()), Ct);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
    }

    [Theory]
    [InlineData("Intercom:ClientSecret")]
    [InlineData("Zendesk:WebhookSecret")]
    public async Task A_gateway_without_a_webhook_secret_does_not_start(string setting)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            GatewayHost.StartAsync(redis.ConnectionString, GatewayHost.NowhereAddress(), new Dictionary<string, string?> { [setting] = "" }));
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }
}
