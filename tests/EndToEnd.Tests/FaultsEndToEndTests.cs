namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Issue 14's "done when" through the real app model: nothing lost, nothing doubled while both vendors
/// fail like real APIs. The full-scale run with figures for docs/RELIABILITY.md is eng/chaos.sh.
/// </summary>
public sealed class FaultsEndToEndTests(FaultyFerryApp ferry) : IClassFixture<FaultyFerryApp>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Under_5xx_429_storms_and_cut_answers_every_conversation_ends_as_one_complete_ticket_with_every_part_and_file_once()
    {
        var output = TestContext.Current.TestOutputHelper;
        var scenario = new FaultScenario(ferry, FaultScale.Full, line => output?.WriteLine(line));

        var report = await scenario.RunAsync(Timeout, TestContext.Current.CancellationToken);

        output?.WriteLine(report.Describe());
        Assert.True(report.Problems.Count == 0, $"Lost, doubled or sent inside a Retry-After under faults:{Environment.NewLine}{report.Describe()}");
        Assert.NotNull(report.CompletedAfter);
    }
}
