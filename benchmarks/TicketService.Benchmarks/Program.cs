using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Ferry.AttachmentService.Api;
using Ferry.IdentityService.Api;
using Ferry.TicketService.Benchmarks;
using Ferry.Testing;
using Ferry.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using static Ferry.Testing.Benchmarking;

// TicketService benchmark (docs/BENCHMARKS.md, "TicketService"): end-to-end latency from the hand-over
// of a conversation to the complete ticket visible in the sandbox's Zendesk, and Zendesk calls per
// conversation, for Ferry (real TicketService + IdentityService + AttachmentService, Postgres, Redis) and
// for a naive one-call-per-part connector, same sandbox, same conversation shape, same arrival schedule.
// Tuning (environment): BENCH_CONVERSATIONS (100), BENCH_PARTS (10 replies/notes after the opening
// message), BENCH_RATE (arrivals per second, 5; 0 = all at once), BENCH_WORKERS (4: TicketService's
// Queue:Workers and the naive connector's concurrency), BENCH_WARMUP (100 per path, all at once and unmeasured), BENCH_SETTLE_MAX (200 per path: then arrivals at
// the measured pace, unmeasured, until the JIT is quiet; see WarmUpAsync), BENCH_TIMEOUT_SECONDS (300),
// BENCH_VENDOR_LATENCY_MS (0: the sandbox adds this fixed latency to every vendor API call, as a real vendor has),
// BENCH_SPANS (1: the spans of the in-process services while Ferry is measured, see SpanBreakdown.cs).
var inv = CultureInfo.InvariantCulture;
var conversations = EnvInt("BENCH_CONVERSATIONS", 100);
var parts = EnvInt("BENCH_PARTS", 10);
var rate = double.Parse(Environment.GetEnvironmentVariable("BENCH_RATE") ?? "5", inv);
var workers = EnvInt("BENCH_WORKERS", 4);
var warmup = EnvInt("BENCH_WARMUP", 100);
var settleMax = EnvInt("BENCH_SETTLE_MAX", 200);
var timeout = TimeSpan.FromSeconds(EnvInt("BENCH_TIMEOUT_SECONDS", 300));
var vendorLatency = EnvInt("BENCH_VENDOR_LATENCY_MS", 0);
var comments = parts + 1;
var total = Stopwatch.StartNew();
using var stop = new CancellationTokenSource();

Console.WriteLine(string.Create(inv, $"TicketService benchmark: {conversations} conversations × (1 opening message + {parts} parts) per path, arrivals {(rate > 0 ? $"{rate:0.##}/s" : "all at once")}, {workers} workers, {warmup} warm-up conversations per path"));
Console.WriteLine(string.Create(inv, $"Vendor API latency added by the sandbox: {vendorLatency} ms per call"));
Console.WriteLine(string.Create(inv, $"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average {LoadAverage()}"));

// The sandbox validates request bodies against the vendors' OpenAPI files: load them now, not inside the first measured calls.
Ferry.Sandbox.Contracts.OpenApiContract.ForVendor("zendesk");
Ferry.Sandbox.Contracts.OpenApiContract.ForVendor("intercom");

// Rate limits lifted on both sides: the figures wanted are calls and latency, not 429 waits (see the
// "at 700 requests/min" line for what the call count means under a real plan limit).
await using var infrastructure = await BenchmarkInfrastructure.StartAsync();
var (sandbox, database) = (infrastructure.Sandbox, infrastructure.Database);
using var admin = new HttpClient { BaseAddress = sandbox.BaseAddress };

// --- Seed the sandbox through its admin API (notify:false: no webhooks of its own) -----------------
if (vendorLatency > 0)
{
    sandbox.Faults.Current = new Ferry.Sandbox.Common.FaultSettings { Scope = "all", LatencyDistribution = "fixed", LatencyMs = vendorLatency };
}

var seedWatch = Stopwatch.StartNew();
var admins = new List<string>();
for (var a = 0; a < 3; a++)
{
    var email = $"agent{a}@bench.example";
    admins.Add((await PostAsync("/admin/intercom/admins", new { name = $"Agent {a}", email }))["id"]!.GetValue<string>());
    await PostAsync("/admin/zendesk/users", new { name = $"Agent {a}", email, role = "agent" });
}

using var seedIntercom = sandbox.CreateIntercomClient();
var ferrySet = await SeedManyAsync("ferry", warmup + settleMax + conversations);
var naiveSet = await SeedManyAsync("naive", warmup + settleMax + conversations);
Console.WriteLine(string.Create(inv, $"Seeded {ferrySet.Count + naiveSet.Count} conversations ({comments} messages each) in {seedWatch.Elapsed.TotalSeconds:0.0} s"));

// --- Ferry: IdentityService + AttachmentService in-process, TicketService in its own process ----------
var identityGrpc = FreePort();
await using var identity = new ServiceHost<IdentityApi>(infrastructure.ServiceSettings(identityGrpc)).Start();
var attachmentsGrpc = FreePort();
await using var attachments = new ServiceHost<AttachmentsApi>(new Dictionary<string, string?>(infrastructure.ServiceSettings(attachmentsGrpc))
{
    ["Attachments:AllowedHosts:0"] = "127.0.0.1",
    ["Attachments:AllowInsecureHttpForHosts:0"] = "127.0.0.1",
    ["Attachments:AllowLoopback"] = "true",
}).Start();
var ticketsGrpc = FreePort();
await using var tickets = StartTicketService(ticketsGrpc, identityGrpc, attachmentsGrpc);
using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{ticketsGrpc}");
var inbox = new SyncInbox.SyncInboxClient(channel);
var sync = new Sync.SyncClient(channel);
await WaitForTicketServiceAsync();

using var spans = Environment.GetEnvironmentVariable("BENCH_SPANS") == "1" ? new SpanBreakdown() : null;
using var watcher = new TicketWatcher(sandbox.Zendesk);
var failures = new ConcurrentBag<string>();

// Ferry: the gateway's hand-over of a verified webhook (SyncInbox.Enqueue, unique delivery id).
var enqueueLatencies = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
var handedOver = new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
async Task FerryArriveAsync(Seeded conversation)
{
    handedOver[conversation.Id] = DateTimeOffset.UtcNow;
    var started = Stopwatch.GetTimestamp();
    await inbox.EnqueueAsync(new EnqueueRequest
    {
        Source = Vendor.Intercom,
        DeliveryId = $"notif_bench_{conversation.Id}_{Guid.NewGuid():N}",
        Topic = "conversation.admin.replied",
        ConversationId = conversation.Id,
        EventAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        ReceivedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Payload = ByteString.CopyFrom(conversation.Webhook),
    });
    enqueueLatencies[conversation.Id] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}

Console.WriteLine("Ferry: warm-up …");
var ferryWarmedUp = await WarmUpAsync(ferrySet, "intercom-conversation-", FerryArriveAsync);
await WaitForJobsAsync(ferrySet.Take(ferryWarmedUp));
await AnalyzeAfterWarmUpAsync(database);
await ResetStatsAsync();
enqueueLatencies.Clear();
Console.WriteLine("Ferry: measuring …");
var ferryMeasured = ferrySet.Skip(warmup + settleMax).ToList();
spans?.Record(true);
var ferryWall = await RunArrivalsAsync(ferryMeasured, "intercom-conversation-", FerryArriveAsync, rate);
var attempts = await WaitForJobsAsync(ferryMeasured);
spans?.Record(false);
var ferryStats = await StatsAsync();
var ferry = Summarise("Ferry (TicketService)", ferryMeasured, "intercom-conversation-", ferryWall, ferryStats);

// Where the time goes, per conversation (wall clock, one machine): hand-over → its attempt started (Enqueue
// committed, NOTIFY, claim), attempt start → ticket complete in Zendesk (the sync's reads, lookups and the
// import), ticket complete → attempt recorded (the ledger, status pair, attempt row and job transition).
var phases = ferryMeasured.Select(c => (Conversation: c.Id, Latency: watcher.Latencies.GetValueOrDefault("intercom-conversation-" + c.Id, double.NaN), Attempt: attempts.Where(a => a.ConversationId == c.Id).MinBy(a => a.StartedAt.ToDateTimeOffset())))
    .Where(p => !double.IsNaN(p.Latency) && p.Attempt is not null && handedOver.ContainsKey(p.Conversation))
    .Select(p =>
    {
        var queued = (p.Attempt!.StartedAt.ToDateTimeOffset() - handedOver[p.Conversation]).TotalMilliseconds;
        return (p.Conversation, p.Latency, Queue: queued, ToVisible: p.Latency - queued, AfterVisible: queued + p.Attempt.DurationMs - p.Latency);
    })
    .ToList();
double P50(IEnumerable<double> values) => values.Order().ToArray() is { Length: > 0 } sorted ? Percentile(sorted, 0.5) : double.NaN;
var (queueP50, toVisibleP50, afterVisibleP50) = (P50(phases.Select(p => p.Queue)), P50(phases.Select(p => p.ToVisible)), P50(phases.Select(p => p.AfterVisible)));

var commits = await CommitLatenciesAsync();
var resolves = await ResolveLatenciesAsync();

// --- Naive connector: same schedule, a pool of `workers` consumers -----------------------------------
using var naiveIntercom = sandbox.CreateIntercomClient();
using var naiveZendesk = sandbox.CreateZendeskClient();
var naive = new NaiveConnector(naiveIntercom, naiveZendesk);
var queue = Channel.CreateUnbounded<Seeded>();
var naiveWorkers = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
{
    await foreach (var conversation in queue.Reader.ReadAllAsync(stop.Token))
    {
        try
        {
            await naive.SyncAsync(conversation.Id, stop.Token);
        }
        catch (HttpRequestException ex)
        {
            failures.Add($"naive {conversation.Id}: {ex.Message}");
            watcher.Abandon(NaiveConnector.ExternalIdPrefix + conversation.Id);
        }
    }
})).ToList();

Task NaiveArriveAsync(Seeded conversation) => queue.Writer.WriteAsync(conversation, stop.Token).AsTask();

Console.WriteLine("Naive: warm-up …");
await WarmUpAsync(naiveSet, NaiveConnector.ExternalIdPrefix, NaiveArriveAsync);
await ResetStatsAsync();
Console.WriteLine("Naive: measuring …");
var naiveMeasured = naiveSet.Skip(warmup + settleMax).ToList();
var naiveWall = await RunArrivalsAsync(naiveMeasured, NaiveConnector.ExternalIdPrefix, NaiveArriveAsync, rate);
queue.Writer.Complete();
await Task.WhenAll(naiveWorkers);
var naiveStats = await StatsAsync();
var naiveSummary = Summarise("Naive (one call per part)", naiveMeasured, NaiveConnector.ExternalIdPrefix, naiveWall, naiveStats);

// --- Report ---------------------------------------------------------------------------------------------
Console.WriteLine();
Console.WriteLine(string.Create(inv, $"Results: {conversations} conversations × {comments} messages, arrivals {(rate > 0 ? $"{rate:0.##}/s" : "all at once")}, {workers} workers, vendor latency {vendorLatency} ms, {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
WriteTable(
    ["path", "p50 ms", "p90 ms", "p99 ms", "max ms", "Zendesk calls / conversation", "Intercom calls / conversation", "wall s"],
    [
        .. new[] { ferry, naiveSummary }.Select(s => (string[])[s.Name, .. new[] { s.P50, s.P90, s.P99, s.Max }.Select(v => v.ToString("0.0", inv)),
            s.ZendeskPerConversation.ToString("0.00", inv), s.IntercomPerConversation.ToString("0.00", inv), s.Wall.ToString("0.0", inv)]),
        ["ratio Ferry / naive", .. new[] { ferry.P50 / naiveSummary.P50, ferry.P90 / naiveSummary.P90, ferry.P99 / naiveSummary.P99, ferry.Max / naiveSummary.Max,
            ferry.ZendeskPerConversation / naiveSummary.ZendeskPerConversation, ferry.IntercomPerConversation / naiveSummary.IntercomPerConversation }.Select(r => r.ToString("0.00", inv) + "x"), ""],
    ]);
Console.WriteLine(string.Create(inv, $"At a Zendesk plan limit of 700 requests/min: Ferry ≈ {700 / ferry.ZendeskPerConversation:0} conversations/min, naive ≈ {700 / naiveSummary.ZendeskPerConversation:0} conversations/min."));
Console.WriteLine(string.Create(inv, $"TicketService's own attempt log: {attempts.Count} attempts for {ferryMeasured.Count} conversations, {attempts.Sum(a => a.VendorCalls) / (double)ferryMeasured.Count:0.00} vendor calls per conversation (its Intercom + Zendesk requests; IdentityService's are not in it)."));
var enqueued = enqueueLatencies.Values.Order().ToArray();
var durations = attempts.Select(a => (double)a.DurationMs).Order().ToArray();
Console.WriteLine(string.Create(inv, $"Ferry's latency, parts: Enqueue answered (inbox + job committed) p50 {Percentile(enqueued, 0.5):0.0} / p99 {Percentile(enqueued, 0.99):0.0} ms; sync attempt (claim → ticket imported → outcome recorded) p50 {Percentile(durations, 0.5):0.0} / p99 {Percentile(durations, 0.99):0.0} ms (the ticket is visible from the import on, before the bookkeeping ends the attempt)."));
Console.WriteLine(string.Create(inv, $"Ferry's latency by phase (p50 of each, {phases.Count} conversations): hand-over → attempt started (Enqueue commit, NOTIFY, claim) {queueP50:0.0} ms; attempt started → ticket complete in Zendesk (reads, identity, lookups, import) {toVisibleP50:0.0} ms; then the attempt's bookkeeping until it is recorded (ledger, status pair, attempt row, job transition) {afterVisibleP50:0.0} ms."));
// The tail, conversation by conversation: which phase its time went to.
Console.WriteLine("Ferry's slowest conversations (ms): " + string.Join("; ", phases.OrderByDescending(p => p.Latency).Take(5).Select(p => string.Create(inv,
    $"{p.Latency:0.0} (Enqueue answered at {enqueueLatencies.GetValueOrDefault(p.Conversation):0.0}, attempt started at {p.Queue:0.0})"))));
Console.WriteLine(string.Create(inv, $"Context: one durable Postgres commit (single-row INSERT, fsync) on this machine right after the Ferry phase: p50 {Percentile(commits, 0.5):0.0} / p99 {Percentile(commits, 0.99):0.0} ms; a Ferry sync makes four (inbox + job, claim, identity link, ledger) and one more with its outcome (status pair, attempt row, job transition)."));
Console.WriteLine(string.Create(inv, $"Context: IdentityService.ResolveRequester for a new customer (the call a Ferry sync makes for it; 3 Zendesk calls), 20 sequential calls after the Ferry phase: p50 {Percentile(resolves, 0.5):0.0} / p99 {Percentile(resolves, 0.99):0.0} ms."));
spans?.Report(conversations);
foreach (var s in new[] { ferry, naiveSummary })
{
    Console.WriteLine();
    Console.WriteLine($"{s.Name}: requests per conversation by endpoint (sandbox /admin/stats)");
    foreach (var (vendor, operation, count) in s.Breakdown)
    {
        Console.WriteLine(string.Create(inv, $"  {vendor,-8} {operation,-45} {count / (double)conversations,6:0.00}"));
    }
}

Console.WriteLine();
Console.WriteLine(failures.IsEmpty ? "Checks: every conversation → exactly one ticket with every message, on both paths." : $"FAILURES ({failures.Count}):\n  {string.Join("\n  ", failures.Take(20))}");
Console.WriteLine(string.Create(inv, $"Total run time {total.Elapsed.TotalSeconds:0} s."));
Console.WriteLine(string.Create(inv,
    $"RESULT ferry_p50_ms={ferry.P50:0.0} ferry_p99_ms={ferry.P99:0.0} naive_p50_ms={naiveSummary.P50:0.0} naive_p99_ms={naiveSummary.P99:0.0} ferry_p90_ms={ferry.P90:0.0} naive_p90_ms={naiveSummary.P90:0.0} p50_ratio={ferry.P50 / naiveSummary.P50:0.00} p99_ratio={ferry.P99 / naiveSummary.P99:0.00} enqueue_p50_ms={Percentile(enqueued, 0.5):0.0} attempt_p50_ms={Percentile(durations, 0.5):0.0} queue_p50_ms={queueP50:0.0} to_visible_p50_ms={toVisibleP50:0.0} after_visible_p50_ms={afterVisibleP50:0.0} vendor_latency_ms={vendorLatency} conversations={conversations} failures={failures.Count} load1={LoadAverage().Split(' ')[0]}"));

await stop.CancelAsync();
return failures.IsEmpty ? 0 : 1;

// ---------------------------------------------------------------------------------------------------------

// Steady state before measuring, as in a service that has been up for minutes. A burst passes the call counts after
// which the tiered JIT recompiles hot methods, but the recompiling itself runs for seconds after it: with a burst
// alone, dotnet-counters showed 0.4–0.8 s of JIT per second in both TicketService and this process through the
// first 9 s of the measured phase, and it was the p99 (docs/BENCHMARKS.md). So arrivals go on at the measured pace,
// unmeasured, until this process's JIT has compiled fewer than 20 methods in 2 s (the services behind it get the
// same traffic on the same timeline), or BENCH_SETTLE_MAX conversations have been spent. Returns how many were used.
async Task<int> WarmUpAsync(IReadOnlyList<Seeded> set, string externalIdPrefix, Func<Seeded, Task> arrive)
{
    await RunArrivalsAsync(set.Take(warmup).ToList(), externalIdPrefix, arrive, rateOverride: 0);
    var pace = rate > 0 ? rate : 5;
    var step = (int)Math.Ceiling(pace * 2);
    var used = 0;
    while (used < settleMax)
    {
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var batch = set.Skip(warmup + used).Take(Math.Min(step, settleMax - used)).ToList();
        await RunArrivalsAsync(batch, externalIdPrefix, arrive, pace);
        used += batch.Count;
        if (System.Runtime.JitInfo.GetCompiledMethodCount() - compiled < 20)
        {
            break;
        }
    }

    Console.WriteLine(string.Create(inv, $"  settled after {used} conversations at {pace:0.##}/s"));
    return warmup + used;
}

async Task<double> RunArrivalsAsync(IReadOnlyList<Seeded> set, string externalIdPrefix, Func<Seeded, Task> arrive, double rateOverride)
{
    watcher.Clear();
    var started = Stopwatch.GetTimestamp();
    var handovers = new List<Task>();
    for (var i = 0; i < set.Count; i++)
    {
        if (rateOverride > 0)
        {
            var due = TimeSpan.FromSeconds(i / rateOverride) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }
        }

        watcher.Expect(externalIdPrefix + set[i].Id, comments, Stopwatch.GetTimestamp());
        handovers.Add(arrive(set[i]));
    }

    await Task.WhenAll(handovers);
    if (!await watcher.WaitAllAsync(timeout, stop.Token))
    {
        failures.Add($"{watcher.Pending} ticket(s) not complete after {timeout.TotalSeconds:0} s ({externalIdPrefix}…)");
    }

    return Stopwatch.GetElapsedTime(started).TotalSeconds;
}

// Every measured job finished (done), so the vendor request counts are complete; returns their attempts.
async Task<List<Attempt>> WaitForJobsAsync(IEnumerable<Seeded> set)
{
    var result = new List<Attempt>();
    foreach (var conversation in set)
    {
        for (var deadline = DateTime.UtcNow + timeout; ; await Task.Delay(50))
        {
            var state = await sync.GetSyncAsync(new GetSyncRequest { ConversationId = conversation.Id });
            if (state.JobState is JobState.Done or JobState.Dead)
            {
                if (state.JobState == JobState.Dead)
                {
                    failures.Add($"ferry {conversation.Id}: job dead: {state.LastAttempt?.Reason}");
                }

                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                failures.Add($"ferry {conversation.Id}: job still {state.JobState}");
                break;
            }
        }

        var log = await sync.ListAttemptsAsync(new ListAttemptsRequest { ConversationId = conversation.Id, PageSize = 100 });
        result.AddRange(log.Attempts);
    }

    return result;
}

Summary Summarise(string name, IReadOnlyList<Seeded> set, string externalIdPrefix, double wall, JsonObject stats)
{
    foreach (var conversation in set)
    {
        var found = sandbox.Zendesk.TicketsByExternalId(externalIdPrefix + conversation.Id);
        int count;
        lock (sandbox.Zendesk.Gate)
        {
            count = found.Count == 1 ? found[0].Comments.Count : -1;
        }

        if (found.Count != 1 || count != comments)
        {
            failures.Add($"{name} {conversation.Id}: {found.Count} ticket(s), {count} comment(s) (expected 1 ticket, {comments} comments)");
        }
    }

    var latencies = set.Select(c => watcher.Latencies.GetValueOrDefault(externalIdPrefix + c.Id, double.NaN)).Where(l => !double.IsNaN(l)).Order().ToArray();
    if (latencies.Length == 0)
    {
        latencies = [double.NaN];
    }

    var breakdown = new List<(string, string, long)>();
    foreach (var vendor in new[] { "zendesk", "intercom" })
    {
        foreach (var (operation, count) in stats[vendor]!["requests"]!.AsObject())
        {
            breakdown.Add((vendor, operation, count!.GetValue<long>()));
        }
    }

    return new Summary(
        name,
        Percentile(latencies, 0.50),
        Percentile(latencies, 0.90),
        Percentile(latencies, 0.99),
        latencies[^1],
        stats["zendesk"]!["total"]!.GetValue<long>() / (double)set.Count,
        stats["intercom"]!["total"]!.GetValue<long>() / (double)set.Count,
        wall,
        breakdown);
}

async Task<double[]> ResolveLatenciesAsync()
{
    using var identityChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{identityGrpc}");
    var client = new Identity.IdentityClient(identityChannel);
    var samples = new double[20];
    for (var i = 0; i < samples.Length; i++)
    {
        var started = Stopwatch.GetTimestamp();
        await client.ResolveRequesterAsync(new ResolveRequesterRequest
        {
            Contact = new Contact { IntercomContactId = $"probe-{i}", Role = "user", Name = $"Probe {i}", Email = $"probe-{i}@bench.example", ExternalId = $"probe-{i}" },
        });
        samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    Array.Sort(samples);
    return samples;
}

async Task<double[]> CommitLatenciesAsync()
{
    await using var dataSource = Npgsql.NpgsqlDataSource.Create(database);
    await using (var create = dataSource.CreateCommand("CREATE TABLE public.bench_commits (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"))
    {
        await create.ExecuteNonQueryAsync();
    }

    var samples = new double[50];
    for (var i = 0; i < samples.Length; i++)
    {
        await using var insert = dataSource.CreateCommand("INSERT INTO public.bench_commits DEFAULT VALUES");
        var started = Stopwatch.GetTimestamp();
        await insert.ExecuteNonQueryAsync();
        samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    Array.Sort(samples);
    return samples;
}

async Task<List<Seeded>> SeedManyAsync(string label, int count)
{
    var seeded = new Seeded[count];
    await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) => seeded[i] = await SeedAsync(label, i));
    return [.. seeded];
}

// One customer (new to Zendesk, email + external_id) opens a conversation; one agent and the customer
// then alternate, every fifth part being an internal note.
async Task<Seeded> SeedAsync(string label, int i)
{
    var contact = await PostAsync("/admin/intercom/contacts", new { role = "user", email = $"customer-{label}-{i}@bench.example", name = $"Customer {label} {i}", externalId = $"cust-{label}-{i}" });
    var contactId = contact["id"]!.GetValue<string>();
    var conversation = await PostAsync("/admin/intercom/conversations", new { contactId, subject = "", body = Body(label, i, 0) });
    var id = conversation["id"]!.GetValue<string>();
    var agent = admins[i % admins.Count];
    for (var k = 1; k <= parts; k++)
    {
        var (partType, authorType, authorId) = k % 5 == 0 ? ("note", "admin", agent) : k % 2 == 1 ? ("comment", "admin", agent) : ("comment", "user", contactId);
        await PostAsync($"/admin/intercom/conversations/{id}/parts", new { partType, authorType, authorId, body = Body(label, i, k), notify = false });
    }

    // The body Intercom would have posted to the gateway (kept in the inbox for audit): the conversation as the API renders it.
    var rendered = await seedIntercom.GetStringAsync(new Uri($"conversations/{id}", UriKind.Relative));
    var webhook = $$"""{"type":"notification_event","id":"notif_bench_{{id}}","topic":"conversation.admin.replied","created_at":{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}},"data":{"type":"notification_event_data","item":""" + rendered + "}}";
    return new Seeded(id, Encoding.UTF8.GetBytes(webhook));
}

static string Body(string label, int i, int k) =>
    $"<p>Message {k} of conversation {label}-{i}: the invoice for order #{1000 + i} shows the wrong amount, could you check the <b>billing address</b> and the VAT number? Thanks!</p>";

async Task<JsonObject> PostAsync(string path, object body)
{
    using var response = await admin.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
}

async Task ResetStatsAsync()
{
    using var response = await admin.PostAsync(new Uri("/admin/stats/reset", UriKind.Relative), null);
    response.EnsureSuccessStatusCode();
}

async Task<JsonObject> StatsAsync() => (await admin.GetFromJsonAsync<JsonObject>(new Uri("/admin/stats", UriKind.Relative)))!;

ServiceProcess StartTicketService(int grpcPort, int identityPort, int attachmentsPort) =>
    ServiceProcess.Start("TicketService", new Dictionary<string, string?>(infrastructure.ServiceSettings(grpcPort))
    {
        ["services:identity:grpc:0"] = $"http://127.0.0.1:{identityPort}",
        ["services:attachments:grpc:0"] = $"http://127.0.0.1:{attachmentsPort}",
        ["Queue:Workers"] = workers.ToString(inv),
        ["RateLimits:ZendeskPerMinute"] = "100000000",
        ["RateLimits:IntercomPerMinute"] = "100000000",
    });

Task WaitForTicketServiceAsync() => tickets.WaitUntilReadyAsync<Grpc.Core.RpcException>(
    () => sync.ListAttemptsAsync(new ListAttemptsRequest { PageSize = 1 }, deadline: DateTime.UtcNow.AddSeconds(5)).ResponseAsync, TimeSpan.FromSeconds(120));

internal sealed record Seeded(string Id, byte[] Webhook);

internal sealed record Summary(string Name, double P50, double P90, double P99, double Max, double ZendeskPerConversation, double IntercomPerConversation, double Wall, List<(string Vendor, string Operation, long Count)> Breakdown);
