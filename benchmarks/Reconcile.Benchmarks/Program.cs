using System.Diagnostics;
using System.Globalization;
using Ferry.IdentityService.Api;
using Ferry.Reconcile.Benchmarks;
using Ferry.ServiceDefaults.Vendors;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Net.Client;
using Npgsql;
using static Ferry.Testing.Benchmarking;

// Reconciler cost (docs/BENCHMARKS.md, "Reconciler cost"; docs/RECONCILE.md): the vendor calls Ferry's
// reconciler makes per hour at a given volume, against polling connectors that find the same drift,
// measured in the same run on the same sandbox. Tuning (environment): BENCH_CONVERSATIONS_PER_DAY (10000),
// BENCH_UPDATES_PER_CONVERSATION (4), BENCH_PEAK_FACTOR (3: the busiest hour's rate over the day's mean),
// BENCH_REPEATS (3 passes per window).
var inv = CultureInfo.InvariantCulture;
var perDay = EnvInt("BENCH_CONVERSATIONS_PER_DAY", 10_000);
var updates = EnvInt("BENCH_UPDATES_PER_CONVERSATION", 4);
var peakFactor = EnvInt("BENCH_PEAK_FACTOR", 3);
var repeats = EnvInt("BENCH_REPEATS", 3);

// TicketService's defaults (ReconcileOptions), which the service under test runs with.
var interval = TimeSpan.FromMinutes(5);
var overlap = TimeSpan.FromMinutes(10);
const double BudgetShare = 0.2;
const int DeepSample = 200;
var passesPerHour = TimeSpan.FromHours(1) / interval;
var budgets = new RateLimitOptions();
var total = Stopwatch.StartNew();
var problems = new List<string>();

Console.WriteLine(string.Create(inv, $"Reconciler cost: {perDay} conversations/day × (1 + {updates} updates), busiest hour {peakFactor}× the mean; scan every {interval.TotalMinutes:0} min over [watermark − {overlap.TotalMinutes:0} min, now), deep sample {DeepSample}"));
Console.WriteLine(string.Create(inv, $"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average {LoadAverage()}"));

// The sandbox's rate limits lifted: the figures wanted are call counts, not 429 waits.
await using var infrastructure = await BenchmarkInfrastructure.StartAsync();
var (sandbox, database) = (infrastructure.Sandbox, infrastructure.Database);
var (agent, _, _) = sandbox.Scenarios.EnsureStaff();

var identityGrpc = FreePort();
await using var identity = new ServiceHost<IdentityApi>(infrastructure.ServiceSettings(identityGrpc)).Start();
var ticketsGrpc = FreePort();
await using var tickets = ServiceProcess.Start("TicketService", new Dictionary<string, string?>(infrastructure.ServiceSettings(ticketsGrpc))
{
    ["services:identity:grpc:0"] = $"http://127.0.0.1:{identityGrpc}",
    // The seeded conversations have no attachments: nothing calls AttachmentService.
    ["services:attachments:grpc:0"] = "http://127.0.0.1:9",
    // No background passes: every pass measured is one this benchmark asked for. Reconcile:* otherwise default.
    ["Reconcile:Interval"] = "00:00:00",
    // Ferry's own budget lifted too, so the syncs and the deep pass are not paced; the pace is computed below.
    ["RateLimits:ZendeskPerMinute"] = "100000000",
    ["RateLimits:IntercomPerMinute"] = "100000000",
});
using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{ticketsGrpc}");
var sync = new Sync.SyncClient(channel);
await tickets.WaitUntilReadyAsync<Grpc.Core.RpcException>(
    () => sync.ListAttemptsAsync(new ListAttemptsRequest { PageSize = 1 }, deadline: DateTime.UtcNow.AddSeconds(5)).ResponseAsync, TimeSpan.FromSeconds(120));
await using var db = NpgsqlDataSource.Create(database);
using var intercomClient = sandbox.CreateIntercomClient();
using var zendeskClient = sandbox.CreateZendeskClient();
var poller = new PollingConnector(intercomClient, zendeskClient);

// Each pass covers [watermark − overlap, now); a seeded day is a snapshot whose conversations carry only their
// last update, which is honest only for a window ending at the snapshot's end. So the day is seeded twice, the
// peak hour elsewhere (the window then sees an off-peak hour) and then last (the window sees the peak).
var day = new ActivityDay(perDay, updates, peakFactor);
var offPeak = await MeasureWindowAsync("off-peak hour", peakStartsHoursAgo: 13, seed: 1);
var fullPollPages = await FullPollPagesAsync();
sandbox.Intercom.Reset();
(agent, _, _) = sandbox.Scenarios.EnsureStaff();
var peak = await MeasureWindowAsync("peak hour", peakStartsHoursAgo: 1, seed: 2);
var deep = await MeasureDeepPassAsync(peak.Day);

// --- Report -----------------------------------------------------------------------------------------------
var ferryAvg = ((23 * offPeak.FerryCalls) + peak.FerryCalls) / 24 * passesPerHour;
var ferryPeak = peak.FerryCalls * passesPerHour;
var deepPerHour = deep.ZendeskCalls / 24.0;
var pollAvg = ((23 * offPeak.Poll.Total) + peak.Poll.Total) / 24.0 * passesPerHour;
var pollPeak = peak.Poll.Total * passesPerHour;
var pollZendeskPeak = peak.Poll.Zendesk * passesPerHour;
var fullPoll = fullPollPages * passesPerHour;
var intercomBudget = budgets.IntercomPerMinute * 60.0;
var zendeskBudget = budgets.ZendeskPerMinute * 60.0;
var deepBurstMinutes = deep.ZendeskCalls / (budgets.ZendeskPerMinute * BudgetShare);

Console.WriteLine();
Console.WriteLine(string.Create(inv, $"Results: {perDay} conversations/day × (1 + {updates}) events = {day.Events} events/day; off-peak hours at {day.OffPeakShare:0.00}× the mean, the busiest at {peakFactor}×; load average {LoadAverage()}"));
WriteTable(
    ["window (one pass every 5 min)", "conversations updated in it (seeded / search found)", "Ferry scan: Intercom calls per pass (vendor_calls / sandbox)", "Ferry calls/hour",
        "polling 5 min: calls per poll (Intercom + Zendesk)", "polling calls/hour", "ratio Ferry / polling", "polling over Ferry's 15-min window: calls per poll"],
    new[] { offPeak, peak }.Select(w => (string[])
    [
        w.Name,
        $"{w.Expected} / {w.Checked}",
        string.Create(inv, $"{w.FerryCalls:0.##} / {w.SandboxSearches:0.##}"),
        string.Create(inv, $"{w.FerryCalls * passesPerHour:0}"),
        $"{w.Poll.Intercom} + {w.Poll.Zendesk} = {w.Poll.Total} ({w.Poll.Conversations} conversations)",
        string.Create(inv, $"{w.Poll.Total * passesPerHour:0}"),
        string.Create(inv, $"{w.FerryCalls / w.Poll.Total:0.0000}x"),
        $"{w.SameWindowPoll.Total} ({w.SameWindowPoll.Conversations} conversations)",
    ]));

Console.WriteLine(string.Create(inv, $"Day average: Ferry {ferryAvg:0} Intercom calls/hour, polling {pollAvg:0} calls/hour (ratio {ferryAvg / pollAvg:0.0000}x); full poll (list all {offPeak.Day.Count} conversations every 5 min): {fullPollPages} pages/poll = {fullPoll:0} calls/hour (ratio {ferryAvg / fullPoll:0.000}x)."));
Console.WriteLine(string.Create(inv, $"Share of the Intercom budget ({budgets.IntercomPerMinute}/min): Ferry {ferryPeak / intercomBudget:P3} at peak, polling {pollPeak / intercomBudget:P2}. Polling's Zendesk reads at peak: {pollZendeskPeak:0}/hour = {pollZendeskPeak / zendeskBudget:P1} of {budgets.ZendeskPerMinute}/min (Ferry's scan: 0)."));
Console.WriteLine(string.Create(inv, $"Deep pass ({deep.Sampled} linked tickets, one pass a day): {deep.ZendeskCalls} Zendesk calls ({string.Join(", ", deep.Breakdown.Select(b => $"{b.Key} {b.Value}"))}); vendor_calls {deep.VendorCalls} − its scan's {deep.ScanSearches} Intercom searches = {deep.VendorCalls - deep.ScanSearches}; {deep.Findings} deep finding(s)."));
Console.WriteLine(string.Create(inv, $"  = {deepPerHour:0.0} Zendesk calls/hour averaged over the day ({deep.ZendeskCalls / (zendeskBudget * 24):P3} of the day's Zendesk budget); as one burst paced to {BudgetShare:P0} of {budgets.ZendeskPerMinute}/min it lasts {deepBurstMinutes:0.0} min."));
Console.WriteLine(problems.Count == 0 ? "Checks: search found every seeded conversation of each window; vendor_calls equals the sandbox's count; the scan made no Zendesk call; no deep finding on in-step tickets." : $"PROBLEMS ({problems.Count}):\n  {string.Join("\n  ", problems)}");
Console.WriteLine(string.Create(inv, $"Total run time {total.Elapsed.TotalSeconds:0} s."));
Console.WriteLine(string.Create(inv,
    $"RESULT conversations_per_day={perDay} updates_per_conversation={updates} peak_factor={peakFactor} intercom_calls_per_pass_offpeak={offPeak.FerryCalls:0.##} intercom_calls_per_pass_peak={peak.FerryCalls:0.##} intercom_calls_per_hour_avg={ferryAvg:0} intercom_calls_per_hour_peak={ferryPeak:0} zendesk_calls_per_day_deep={deep.ZendeskCalls} zendesk_calls_per_hour_deep={deepPerHour:0.0} deep_burst_minutes={deepBurstMinutes:0.0} baseline_calls_per_hour_avg={pollAvg:0} baseline_calls_per_hour_peak={pollPeak:0} baseline_zendesk_calls_per_hour_peak={pollZendeskPeak:0} full_poll_calls_per_hour={fullPoll:0} ratio_avg={(ferryAvg + deepPerHour) / pollAvg:0.0000} ratio_peak={(ferryPeak + deepPerHour) / pollPeak:0.0000} ratio_full_poll={ferryAvg / fullPoll:0.000} problems={problems.Count}"));
return problems.Count == 0 ? 0 : 1;

// ---------------------------------------------------------------------------------------------------------

// Seeds a day ending now, then measures one pass's calls over the window that ends there: Ferry's scan
// (dry run, watermark placed one interval before the day's end, repeated) and the polling baselines.
async Task<Window> MeasureWindowAsync(string name, int peakStartsHoursAgo, int seed)
{
    var seedWatch = Stopwatch.StartNew();
    // Whole seconds, as Intercom's updated_at; nothing is seeded after it, so later passes see the same window.
    var end = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    var seeded = day.Seed(sandbox.Intercom, agent, end, peakStartsHoursAgo, seed);
    Console.WriteLine(string.Create(inv, $"{name}: seeded {seeded.Count} conversations ({day.Events} events) in {seedWatch.Elapsed.TotalSeconds:0.0} s"));
    var since = end - interval - overlap;
    var expected = seeded.Count(c => c.UpdatedAt >= since.ToUnixTimeSeconds());

    var ferry = new List<(int Calls, long Searches, int Checked)>();
    for (var r = 0; r < repeats; r++)
    {
        var (reply, searches) = await DryRunAsync(end - interval, deepPass: false);
        ferry.Add((reply.VendorCalls, searches.Intercom, reply.ConversationsChecked));
        if (reply.VendorCalls != searches.Intercom || searches.Zendesk != 0)
        {
            problems.Add($"{name}: vendor_calls {reply.VendorCalls}, sandbox counted {searches.Intercom} Intercom and {searches.Zendesk} Zendesk calls");
        }
    }

    if (ferry.Any(f => f.Checked != expected))
    {
        problems.Add($"{name}: {expected} conversations updated in the window, the scans checked {string.Join("/", ferry.Select(f => f.Checked))}");
    }

    var poll = await PollAsync(end - interval);
    var sameWindow = await PollAsync(since);
    Console.WriteLine(string.Create(inv, $"{name}: Ferry {ferry.Average(f => f.Calls):0.##} calls/pass over {expected} conversations; polling {poll.Total} calls/poll"));
    return new Window(name, seeded, expected, ferry[0].Checked, ferry.Average(f => f.Calls), ferry.Average(f => f.Searches), poll, sameWindow);
}

async Task<(ReconcileReply Reply, (long Intercom, long Zendesk, IReadOnlyDictionary<string, long> ZendeskRequests) Calls)> DryRunAsync(DateTimeOffset watermark, bool deepPass)
{
    await using (var place = db.CreateCommand("UPDATE sync.reconciler SET watermark = @watermark WHERE pass = 'scan'"))
    {
        place.Parameters.AddWithValue("watermark", watermark);
        await place.ExecuteNonQueryAsync();
    }

    sandbox.Stats.Reset();
    var reply = await sync.ReconcileAsync(new ReconcileRequest { DryRun = true, Deep = deepPass });
    var stats = sandbox.Stats.Snapshot();
    return (reply, (stats["intercom"].Total, stats["zendesk"].Total, stats["zendesk"].Requests));
}

async Task<PollCost> PollAsync(DateTimeOffset since)
{
    sandbox.Stats.Reset();
    var conversations = await poller.PollAsync(since, CancellationToken.None);
    var stats = sandbox.Stats.Snapshot();
    return new PollCost(conversations, stats["intercom"].Total, stats["zendesk"].Total);
}

async Task<long> FullPollPagesAsync()
{
    sandbox.Stats.Reset();
    await poller.ListEverythingAsync(CancellationToken.None);
    return sandbox.Stats.Snapshot()["intercom"].Total;
}

// Ferry learns DeepSample linked tickets the way it does in production (syncs), then the deep pass reads them back.
async Task<DeepCost> MeasureDeepPassAsync(IReadOnlyList<DayConversation> seeded)
{
    var linked = seeded.Take(DeepSample).Select(c => c.Id).ToList();
    var syncWatch = Stopwatch.StartNew();
    await SyncAllAsync(linked);
    // One more reply each, synced as an append: the ledger then holds a Zendesk comment id to read back (the
    // deep pass reads no comments for tickets whose parts all came with the import, docs/RECONCILE.md).
    foreach (var id in linked)
    {
        sandbox.Intercom.AddPart(id, "comment", Ferry.Sandbox.Intercom.IntercomState.AuthorFor(agent), "<p>One more thing: the refund is on its way.</p>");
    }

    await SyncAllAsync(linked);
    Console.WriteLine(string.Create(inv, $"deep pass: Ferry synced {linked.Count} conversations twice (import, then an append) in {syncWatch.Elapsed.TotalSeconds:0.0} s"));

    var (reply, calls) = await DryRunAsync(DateTimeOffset.UtcNow - interval, deepPass: true);
    var deepFindings = reply.Findings.Count(f => f.Kind is "missing-comments" || (f.Kind is "status-drift" && f.TicketId != 0 && linked.Contains(f.ConversationId)));
    if (deepFindings > 0)
    {
        problems.Add($"deep pass: {deepFindings} finding(s) on tickets that are in step: {string.Join("; ", reply.Findings.Take(3).Select(f => $"{f.Kind} {f.ConversationId}: {f.Detail}"))}");
    }

    return new DeepCost(linked.Count, calls.Zendesk, reply.VendorCalls, calls.Intercom, deepFindings, calls.ZendeskRequests);
}

async Task SyncAllAsync(IReadOnlyList<string> conversationIds)
{
    foreach (var id in conversationIds)
    {
        await sync.RequestSyncAsync(new RequestSyncRequest { ConversationId = id });
    }

    // Straight from the queue table: one query instead of a GetSync per conversation.
    await using var queue = db.CreateCommand("""
        SELECT count(*) FILTER (WHERE state IN ('pending', 'running')), count(*) FILTER (WHERE state = 'dead') FROM sync.jobs
        """);
    for (var deadline = DateTime.UtcNow.AddMinutes(10); ; await Task.Delay(500))
    {
        long active, dead;
        await using (var reader = await queue.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            (active, dead) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        if (active == 0)
        {
            if (dead > 0 || sandbox.Zendesk.Tickets().Count != conversationIds.Count)
            {
                throw new InvalidOperationException($"Syncs ended with {dead} dead job(s) and {sandbox.Zendesk.Tickets().Count} ticket(s) for {conversationIds.Count} conversations.");
            }

            return;
        }

        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"{active} sync job(s) still queued after 10 min.");
        }
    }
}

internal sealed record PollCost(int Conversations, long Intercom, long Zendesk)
{
    public long Total => Intercom + Zendesk;
}

internal sealed record Window(string Name, IReadOnlyList<DayConversation> Day, int Expected, int Checked, double FerryCalls, double SandboxSearches, PollCost Poll, PollCost SameWindowPoll);

internal sealed record DeepCost(int Sampled, long ZendeskCalls, int VendorCalls, long ScanSearches, int Findings, IReadOnlyDictionary<string, long> Breakdown);
