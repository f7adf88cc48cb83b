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
        // Ferry holds every request of a process that saw a 429, and of every other process once the pause is in
        // Redis; until then a request another process already let through still goes out. On this 2-core CI machine,
        // busy with the whole app and another test project, that publication can take longer than the sandbox's
        // 250 ms grace: a few of the ~200 429s are followed by one such request (0–6 seen). Hammering through a
        // pause would show as dozens. eng/chaos.sh, on a machine of its own, reports the exact count.
        Assert.True(report.RequestsBeforeRetryAfter <= Math.Max(3, report.InjectedCount("rate_limited") / 25),
            $"Requests inside a Retry-After pause:{Environment.NewLine}{report.Describe()}");
    }
}
