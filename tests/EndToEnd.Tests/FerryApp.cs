using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.Testing;
using Grpc.Core;
using Grpc.Net.Client;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The whole of Ferry from the real app model (local Postgres and Redis, every service, the sandbox),
/// shared by the tests of a class; each test works on its own conversations.
/// </summary>
public class FerryApp : IAsyncLifetime
{
    public const string ApiKey = "e2e-test-api-key";
    public const string OperatorKey = "e2e-test-operator-key";
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(4);
    private readonly string _dataDirectory = CreateDataDirectory();

    public DistributedApplication App { get; private set; } = null!;

    public HttpClient Sandbox { get; private set; } = null!;

    public GrpcChannel Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            LocalAppModel.Arguments(
                _dataDirectory,
                "Ferry:DemoTraffic=false",
                $"Parameters:gateway-api-key={ApiKey}",
                $"Parameters:operator-key={OperatorKey}"));
        // Agents created by a test must be visible to IdentityService's cached agent directory soon.
        builder.CreateResourceBuilder<ProjectResource>("identity").WithEnvironment("Identity__Agents__RefreshInterval", "00:00:01");
        Configure(builder);
        App = await builder.BuildAsync();
        using var startup = new CancellationTokenSource(StartupTimeout);
        await App.StartAsync(startup.Token);
        foreach (var resource in new[] { "sandbox", "identity", "attachments", "tickets", "gateway" })
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, startup.Token);
        }

        Sandbox = App.CreateHttpClient("sandbox", "http");
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("x-api-key", ApiKey);
            return Task.CompletedTask;
        });
        Gateway = GrpcChannel.ForAddress(App.GetEndpoint("gateway", "grpc"), new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
    }

    /// <summary>Settings a fixture variant needs on top of the defaults (e.g. a policy switched on).</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Gateway?.Dispose();
        Sandbox?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public async Task<JsonObject> PostAdminAsync(string path, object body, CancellationToken cancellationToken)
    {
        using var response = await Sandbox.PostAsJsonAsync(new Uri(path, UriKind.Relative), body, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;
    }

    public async Task<JsonObject> GetAdminAsync(string path, CancellationToken cancellationToken) =>
        (await Sandbox.GetFromJsonAsync<JsonObject>(new Uri(path, UriKind.Relative), cancellationToken))!;

    public async Task SetFaultsAsync(object faults, CancellationToken cancellationToken)
    {
        using var response = await Sandbox.PutAsJsonAsync(new Uri("/admin/faults", UriKind.Relative), faults, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Every Zendesk ticket whose external_id names the conversation, with its comments.</summary>
    public async Task<IReadOnlyList<JsonObject>> TicketsForAsync(string conversationId, CancellationToken cancellationToken)
    {
        var all = await Sandbox.GetFromJsonAsync<JsonObject>(new Uri("/admin/zendesk/tickets", UriKind.Relative), cancellationToken);
        return [.. all!["tickets"]!.AsArray()
            .Select(t => t!.AsObject())
            .Where(t => t["ticket"]!["external_id"]?.GetValue<string>() == $"intercom-conversation-{conversationId}")];
    }

    /// <summary>Polls until <paramref name="done"/> holds for the conversation's tickets.</summary>
    public Task<IReadOnlyList<JsonObject>> WaitForTicketsAsync(string conversationId, Func<IReadOnlyList<JsonObject>, bool> done, TimeSpan timeout, CancellationToken cancellationToken) =>
        EventuallyAsync(() => TicketsForAsync(conversationId, cancellationToken), done, timeout, $"Conversation {conversationId}: tickets", cancellationToken);

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds; times out with the last value in the message.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} never reached the expected state: {JsonSerializer.Serialize(value)}");
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private static string CreateDataDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("ferry-e2e-");
        if (!OperatingSystem.IsWindows())
        {
            directory.UnixFileMode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        }

        return directory.FullName;
    }
}

/// <summary>
/// The classes that need Ferry with its default settings share one app model (each start costs about a minute
/// on a 2-core machine); they run one after another and each works on its own conversations.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DefaultFerryApp : ICollectionFixture<FerryApp>
{
    public const string Name = "Ferry with default settings";
}
