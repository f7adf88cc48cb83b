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
        Assert.True(report.Problems.All(p => p.StartsWith(FaultScenario.EarlyRequestsProblem, StringComparison.Ordinal)),
            $"Lost or doubled under faults:{Environment.NewLine}{report.Describe()}");
        Assert.NotNull(report.CompletedAfter);
        // Requests inside a Retry-After pause are reported, not asserted, here. A process holds its requests once it
        // has seen a 429, and every other process holds them once the pause is in Redis. On this 2-core CI machine,
        // busy with the whole app and another test project, Redis calls can outlast their 250 ms timeout, and Ferry
        // then goes ahead without Redis (it is an optimisation). Runs saw 0 to 15 such requests for 150 to 200
        // 429s. eng/chaos.sh, on a machine of its own, fails on any (docs/RELIABILITY.md).
        output?.WriteLine($"requests inside a Retry-After pause: {report.RequestsBeforeRetryAfter} for {report.InjectedCount("rate_limited")} injected 429s");
    }
}
