using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.AppHost.Infrastructure;
using Ferry.Testing;

namespace Ferry.AppHost.Tests;

/// <summary>The operator's buttons on the Aspire dashboard are on the right resources (executed end to end in EndToEnd.Tests' StatusPageEndToEndTests).</summary>
public sealed class OperatorCommandsTests
{
    [Fact]
    public async Task TicketService_has_retry_reconcile_pause_and_resume_and_the_sandbox_has_reseed()
    {
        using var data = new TemporaryDirectory();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            LocalAppModel.Arguments(data.Path), TestContext.Current.CancellationToken);

        Assert.Equal(
            [("Retry dead jobs", OperatorCommands.RetryDead), ("Run reconciler now", OperatorCommands.Reconcile), ("Pause syncing", OperatorCommands.Pause), ("Resume syncing", OperatorCommands.Resume)],
            Commands(builder, "tickets").Where(c => c.Name.StartsWith("ferry-", StringComparison.Ordinal)).Select(c => (c.DisplayName, c.Name)));
        Assert.Equal([("Reseed sandbox", OperatorCommands.Reseed)], Commands(builder, "sandbox").Where(c => c.Name.StartsWith("ferry-", StringComparison.Ordinal)).Select(c => (c.DisplayName, c.Name)));
        Assert.All(Commands(builder, "tickets").Concat(Commands(builder, "sandbox")).Where(c => c.Name.StartsWith("ferry-", StringComparison.Ordinal)),
            c => Assert.False(string.IsNullOrEmpty(c.DisplayDescription)));
    }

    private static List<ResourceCommandAnnotation> Commands(IDistributedApplicationTestingBuilder builder, string resource) =>
        [.. builder.Resources.Single(r => r.Name == resource).Annotations.OfType<ResourceCommandAnnotation>()];
}
