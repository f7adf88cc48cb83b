using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.Testing;

namespace Ferry.AppHost.Tests;

/// <summary>
/// The sandbox's vendors live in memory and start empty on every run, so Ferry's records of them (contact links,
/// tickets, ledgers, the inbox) start empty too: a new run's conversation 100001 must not meet the last run's link.
/// Live mode keeps its data.
/// </summary>
public sealed class SandboxDataTests
{
    [Fact]
    public async Task Sandbox_mode_starts_Postgres_and_Redis_on_data_of_their_own_emptied_at_every_start_and_live_mode_keeps_its_data()
    {
        using var data = new TemporaryDirectory();
        var lastSandboxRun = Directory.CreateDirectory(Path.Combine(data.Path, "sandbox", "postgres")).FullName;
        await File.WriteAllTextAsync(Path.Combine(lastSandboxRun, "PG_VERSION"), "17", TestContext.Current.CancellationToken);
        var live = Directory.CreateDirectory(Path.Combine(data.Path, "postgres")).FullName;
        await File.WriteAllTextAsync(Path.Combine(live, "PG_VERSION"), "17", TestContext.Current.CancellationToken);

        var sandbox = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(LocalAppModel.Arguments(data.Path), TestContext.Current.CancellationToken);
        Assert.Equal(Path.Combine(data.Path, "sandbox", "postgres"), await DataDirectoryAsync(sandbox, "postgres", "FERRY_PG_DATA"));
        Assert.Equal(Path.Combine(data.Path, "sandbox", "redis"), await DataDirectoryAsync(sandbox, "redis-server", "FERRY_REDIS_DATA"));
        Assert.False(File.Exists(Path.Combine(lastSandboxRun, "PG_VERSION")));

        var liveRun = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            LocalAppModel.Arguments(data.Path, "Parameters:zendesk-base-url=https://acme.zendesk.example", "Parameters:intercom-base-url=https://api.intercom.example"),
            TestContext.Current.CancellationToken);
        Assert.Equal(live, await DataDirectoryAsync(liveRun, "postgres", "FERRY_PG_DATA"));
        Assert.True(File.Exists(Path.Combine(live, "PG_VERSION")));
    }

    private static async Task<string?> DataDirectoryAsync(IDistributedApplicationTestingBuilder builder, string resource, string variable)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run));
        foreach (var callback in builder.Resources.Single(r => r.Name == resource).Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables.GetValueOrDefault(variable) as string;
    }
}
