using System.Net;
using System.Net.Http.Json;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Gateway.Webhooks;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Ferry.Gateway.Tests.EndToEnd;

/// <summary>
/// The gateway as the AppHost wires it (secret parameters, the hashed gateway-api-key, TicketService by
/// service discovery, local Postgres and Redis): a signed webhook is queued, and the Sync API answers
/// through the gateway only with the parameter's key.
/// </summary>
public sealed class AppModelGatewayTests
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Signed_webhook_is_queued_and_the_Sync_API_answers_through_the_gateway_with_the_AppHost_key()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Directory.CreateTempSubdirectory("ferry-gateway-apphost-");
        if (!OperatingSystem.IsWindows())
        {
            // The local Postgres runs as the `postgres` user when tests run as root.
            File.SetUnixFileMode(data.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        const string apiKey = "apphost-test-api-key";
        const string clientSecret = "apphost-test-intercom-secret";
        try
        {
            var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                LocalAppModel.Arguments(data.FullName, $"Parameters:gateway-api-key={apiKey}", $"Parameters:intercom-client-secret={clientSecret}"), ct);
            await using var app = await appHost.BuildAsync(ct);
            await app.StartAsync(ct).WaitAsync(StartupTimeout, ct);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", ct).WaitAsync(StartupTimeout, ct);

            var conversationId = "5" + Random.Shared.Next(100_000, 999_999);
            var body = Encoding.UTF8.GetBytes(Deliveries.IntercomJson("notif_apphost_" + Guid.NewGuid().ToString("N"), "conversation.user.created", conversationId));
            using var http = app.CreateHttpClient("gateway", "http");
            using var response = await http.SendAsync(Deliveries.Intercom(body, IntercomSignature.Sign(body, Encoding.UTF8.GetBytes(clientSecret))), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var ack = await response.Content.ReadFromJsonAsync<WebhookAck>(ct);
            Assert.Equal("queued", ack!.Status);

            using var channel = GrpcChannel.ForAddress(app.GetEndpoint("gateway", "grpc"));
            var sync = new Sync.SyncClient(channel);
            var state = await sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, new Metadata { { "x-api-key", apiKey } }, cancellationToken: ct);
            Assert.Equal(ack.JobId, state.JobId);

            var error = await Assert.ThrowsAsync<RpcException>(() =>
                sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversationId }, new Metadata { { "x-api-key", "wrong" } }, cancellationToken: ct).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }
        finally
        {
            try
            {
                data.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
