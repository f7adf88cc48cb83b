using System.Diagnostics;
using System.Globalization;
using Ferry.IdentityService.Api;
using Ferry.Sandbox.Intercom;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using static Ferry.Testing.Benchmarking;

// Bulk backfill (docs/BENCHMARKS.md, "Bulk backfill"; docs/MIGRATION.md): conversations per minute at a sandbox
// Zendesk limit of 700 requests/min (429 + Retry-After past it), the bulk path against the one-job-per-conversation
// path in the same run, each over its own set of conversations (half new customers, half returning: a Zendesk user
// with their address and external_id exists). Ferry's own budget is the same 700/min and the bulk run may use all of
// it (Backfill:BudgetShare 1), so the bound is the limit over the run's own Zendesk calls per conversation.
// Tuning (environment): BENCH_BULK_CONVERSATIONS (2000), BENCH_SINGLE_CONVERSATIONS (300), BENCH_ZENDESK_LIMIT (700).
var inv = CultureInfo.InvariantCulture;
var bulkCount = EnvInt("BENCH_BULK_CONVERSATIONS", 2000);
var singleCount = EnvInt("BENCH_SINGLE_CONVERSATIONS", 300);
var limit = EnvInt("BENCH_ZENDESK_LIMIT", 700);
var total = Stopwatch.StartNew();
Console.WriteLine(string.Create(inv, $"Bulk backfill: {bulkCount} conversations in bulk, {singleCount} one job each, sandbox Zendesk limit {limit}/min"));
Console.WriteLine(string.Create(inv, $"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average {LoadAverage()}"));

await using var infrastructure = await BenchmarkInfrastructure.StartAsync();
var sandbox = infrastructure.Sandbox;
sandbox.Options.Zendesk.RateLimitPerMinute = limit;
var budget = new Dictionary<string, string?>
{
    ["RateLimits:ZendeskPerMinute"] = limit.ToString(inv),
    ["RateLimits:IntercomPerMinute"] = "100000000",
};
var identityGrpc = FreePort();
await using var identity = new ServiceHost<IdentityApi>(new Dictionary<string, string?>(infrastructure.ServiceSettings(identityGrpc)).With(budget)).Start();
var ticketsGrpc = FreePort();
await using var tickets = ServiceProcess.Start("TicketService", new Dictionary<string, string?>(infrastructure.ServiceSettings(ticketsGrpc))
{
    ["services:identity:grpc:0"] = $"http://127.0.0.1:{identityGrpc}",
    // No attachments are seeded: nothing calls AttachmentService.
    ["services:attachments:grpc:0"] = "http://127.0.0.1:9",
    ["Reconcile:Interval"] = "00:00:00",
    ["Backfill:BudgetShare"] = "1",
}.With(budget));
using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{ticketsGrpc}");
var sync = new Sync.SyncClient(channel);
await tickets.WaitUntilReadyAsync<RpcException>(
    () => sync.ListAttemptsAsync(new ListAttemptsRequest { PageSize = 1 }, deadline: DateTime.UtcNow.AddSeconds(5)).ResponseAsync, TimeSpan.FromSeconds(120));
await using var db = NpgsqlDataSource.Create(infrastructure.Database);

// Two windows of updated_at, one per path, so each backfill selects only its own set.
var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
var singleWindow = (From: now.AddDays(-20), To: now.AddDays(-10));
var bulkWindow = (From: now.AddDays(-9), To: now.AddDays(-1));
var admin = sandbox.Intercom.AddAdmin("Ada Agent", "ada@company.example");
Seed(singleCount, singleWindow.From, "single");
Seed(bulkCount, bulkWindow.From, "bulk");

var single = await RunSingleAsync();
var bulk = await RunBulkAsync();

var bulkPerMinute = bulkCount / bulk.Elapsed.TotalMinutes;
var singlePerMinute = singleCount / single.Elapsed.TotalMinutes;
var bound = limit * (double)bulkCount / Math.Max(1, bulk.ZendeskCalls);
var problems = new List<string>();
foreach (var (name, from, count) in new[] { ("single", singleWindow.From, singleCount), ("bulk", bulkWindow.From, bulkCount) })
{
    var complete = sandbox.Zendesk.Tickets().Count(t => t.CreatedAt >= from && t.CreatedAt < from.AddDays(9));
    if (complete != count)
    {
        problems.Add($"{name}: {complete} tickets for {count} conversations");
    }
}

Console.WriteLine();
WriteTable(
    ["path", "conversations", "seconds", "conversations/min", "Zendesk calls", "calls/conversation", "429s"],
    [
        ["one job per conversation", singleCount.ToString(inv), single.Elapsed.TotalSeconds.ToString("0.0", inv), singlePerMinute.ToString("0", inv), single.ZendeskCalls.ToString(inv), (single.ZendeskCalls / (double)singleCount).ToString("0.00", inv), single.RateLimited.ToString(inv)],
        ["bulk", bulkCount.ToString(inv), bulk.Elapsed.TotalSeconds.ToString("0.0", inv), bulkPerMinute.ToString("0", inv), bulk.ZendeskCalls.ToString(inv), (bulk.ZendeskCalls / (double)bulkCount).ToString("0.000", inv), bulk.RateLimited.ToString(inv)],
    ]);
Console.WriteLine(string.Create(inv, $"Bound for the bulk run at {limit} Zendesk requests/min and its {bulk.ZendeskCalls} calls: {bound:0} conversations/min; reached {bulkPerMinute / bound:P0}."));
Console.WriteLine(problems.Count == 0 ? "Checks: every conversation of both sets has exactly its ticket." : $"PROBLEMS ({problems.Count}):\n  {string.Join("\n  ", problems)}");
Console.WriteLine(string.Create(inv, $"Load average {LoadAverage()}; total run time {total.Elapsed.TotalSeconds:0} s."));
Console.WriteLine(string.Create(inv,
    $"RESULT bulk_conv_per_min={bulkPerMinute:0} single_conv_per_min={singlePerMinute:0} ratio={bulkPerMinute / singlePerMinute:0.0} bound_share={bulkPerMinute / bound:0.00} bulk_calls_per_conv={bulk.ZendeskCalls / (double)bulkCount:0.000} single_calls_per_conv={single.ZendeskCalls / (double)singleCount:0.00} problems={problems.Count}"));
return problems.Count == 0 ? 0 : 1;

// Half new customers, half returning; each conversation a question and an answer, every fourth closed.
void Seed(int count, DateTimeOffset from, string set)
{
    for (var i = 0; i < count; i++)
    {
        var at = from.AddSeconds(i * 60).ToUnixTimeSeconds();
        var email = $"{set}-{i}@customers.example";
        var contact = sandbox.Intercom.AddContact("user", email, $"Customer {i}", externalId: $"ext-{email}");
        if (i % 2 == 1)
        {
            sandbox.Zendesk.AddUser($"Customer {i}", email, externalId: $"ext-{email}");
        }

        var conversation = sandbox.Intercom.CreateConversation(contact, $"Question {i}", $"<p>Question {i}</p>", createdAt: at);
        sandbox.Intercom.AddPart(conversation.Id, "comment", IntercomState.AuthorFor(admin), $"<p>Answer {i}</p>", at: at + 30);
        if (i % 4 == 0)
        {
            sandbox.Intercom.AddPart(conversation.Id, "close", IntercomState.AuthorFor(admin), null, at: at + 40);
        }
    }
}

async Task<Measured> RunSingleAsync()
{
    sandbox.Stats.Reset();
    var watch = Stopwatch.StartNew();
    using (var call = sync.Backfill(new BackfillRequest { UpdatedSince = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(singleWindow.From), UpdatedBefore = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(singleWindow.To) }))
    {
        await foreach (var _ in call.ResponseStream.ReadAllAsync())
        {
        }
    }

    while (await ScalarAsync("SELECT count(*) FROM sync.jobs WHERE state IN ('pending', 'running')") > 0)
    {
        await Task.Delay(200);
    }

    return Measure(watch.Elapsed);
}

async Task<Measured> RunBulkAsync()
{
    sandbox.Stats.Reset();
    var watch = Stopwatch.StartNew();
    using var call = sync.Backfill(new BackfillRequest
    {
        Bulk = true,
        UpdatedSince = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(bulkWindow.From),
        UpdatedBefore = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(bulkWindow.To),
    });
    await foreach (var step in call.ResponseStream.ReadAllAsync())
    {
        Console.WriteLine(string.Create(inv, $"  bulk: {step.Seen} conversations, {step.Bulk.Tickets} tickets, {step.Bulk.ZendeskCalls} Zendesk calls, {watch.Elapsed.TotalSeconds:0.0} s"));
    }

    return Measure(watch.Elapsed);
}

Measured Measure(TimeSpan elapsed)
{
    var zendesk = sandbox.Stats.Snapshot()["zendesk"];
    return new Measured(elapsed, zendesk.Total, zendesk.RequestsBeforeRetryAfter);
}

async Task<long> ScalarAsync(string sql)
{
    await using var command = db.CreateCommand(sql);
    return (long)(await command.ExecuteScalarAsync())!;
}

internal sealed record Measured(TimeSpan Elapsed, long ZendeskCalls, long RateLimited);

internal static class SettingsExtensions
{
    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?> more)
    {
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }
}
