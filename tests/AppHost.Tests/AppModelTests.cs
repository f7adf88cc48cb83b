using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.Testing;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Ferry.AppHost.Tests;

public sealed class AppModelTests
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task Every_resource_becomes_healthy_and_every_service_serves_grpc_health()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory();
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            LocalAppModel.Arguments(data.Path),
            cancellationToken);
        await using var app = await appHost.BuildAsync(cancellationToken);
        await app.StartAsync(cancellationToken).WaitAsync(StartupTimeout, cancellationToken);

        foreach (var resource in new[] { "postgres", "redis-server", "sandbox", "identity", "attachments", "tickets", "gateway" })
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken).WaitAsync(StartupTimeout, cancellationToken);
        }

        foreach (var service in new[] { "identity", "attachments", "tickets", "gateway" })
        {
            using var channel = GrpcChannel.ForAddress(app.GetEndpoint(service, "grpc"));
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), cancellationToken: cancellationToken);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        }

        using var http = app.CreateHttpClient("sandbox", "http");
        Assert.Equal("Healthy", await http.GetStringAsync(new Uri("/health", UriKind.Relative), cancellationToken));
    }
}
