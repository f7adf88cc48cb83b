using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Ferry.Gateway.Api;
using Ferry.Gateway.Webhooks;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Net.Client;
using static Ferry.Testing.Benchmarking;

// Cold start: a freshly deployed TicketService and gateway, as `dotnet publish` wrote them, from process start to
// the first webhooks acknowledged. Each build named in BENCH_BUILDS ("name=directory,…", each directory holding
// Gateway/ and TicketService/) runs BENCH_ROUNDS times, alternating which goes first, each time on a fresh database:
// TicketService started (its migrations run) until it serves, the gateway started until it is alive, then
// BENCH_COLD_DELIVERIES unique signed Intercom deliveries at BENCH_COLD_RATE per second, open loop, through the
// gateway into Enqueue (committed). TicketService's workers are paused: the intake alone, as in the gateway
// benchmark. Ratios are against the first build.
var builds = (Environment.GetEnvironmentVariable("BENCH_BUILDS") ?? throw new InvalidOperationException("BENCH_BUILDS is not set: run eng/bench-coldstart.sh."))
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(b => b.Split('=', 2))
    .Select(b => (Name: b[0], Directory: b[1]))
    .ToList();
var rounds = EnvInt("BENCH_ROUNDS", 3);
var deliveries = EnvInt("BENCH_COLD_DELIVERIES", 500);
var rate = EnvInt("BENCH_COLD_RATE", 50);
const string IntercomSecret = "bench-intercom-secret";
const string ApiKey = "bench-api-key";

Console.WriteLine($"Cold-start benchmark: builds {string.Join(", ", builds.Select(b => b.Name))}; {rounds} rounds; {deliveries} deliveries at {rate}/s right after start; {Environment.ProcessorCount} cores, load average {LoadAverage()}");
await using var redis = new RedisServer();
await redis.InitializeAsync();
await using var postgres = new PostgresServer();
await postgres.InitializeAsync();
using var client = new HttpClient();
var secret = Encoding.UTF8.GetBytes(IntercomSecret);

var runs = builds.ToDictionary(b => b.Name, _ => new List<ColdRun>());
Console.WriteLine("| round | build | TicketService start → serving ms | gateway start → alive ms | first ack ms | p50 ms | p99 ms | max ms | last third p50 / p99 ms | non-2xx |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
// Round 0 is not counted: this process's own client code is compiled then, not during the first measured build.
for (var round = 0; round <= rounds; round++)
{
    foreach (var (name, directory) in round % 2 == 0 ? builds : Enumerable.Reverse(builds))
    {
        var run = await ColdRunAsync(directory, round);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {(round == 0 ? "0 (not counted)" : round)} | {name} | {run.TicketsStartMs:F0} | {run.GatewayStartMs:F0} | {run.FirstAckMs:F1} | {run.P50:F2} | {run.P99:F2} | {run.Max:F1} | {run.LateP50:F2} / {run.LateP99:F2} | {run.Non2xx} |"));
        if (round > 0)
        {
            runs[name].Add(run);
        }
    }
}

var medians = builds.ToDictionary(b => b.Name, b => ColdRun.MedianOf(runs[b.Name]));
var baseline = medians[builds[0].Name];
Console.WriteLine();
Console.WriteLine($"Medians over {rounds} rounds (ratio to {builds[0].Name}):");
Console.WriteLine("| build | TicketService start ms | gateway start ms | first ack ms | p50 ms | p99 ms | max ms | last third p50 ms | last third p99 ms | non-2xx |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (var (name, _) in builds)
{
    var m = medians[name];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {m.TicketsStartMs:F0} ({m.TicketsStartMs / baseline.TicketsStartMs:F2}x) | {m.GatewayStartMs:F0} ({m.GatewayStartMs / baseline.GatewayStartMs:F2}x) | {m.FirstAckMs:F1} ({m.FirstAckMs / baseline.FirstAckMs:F2}x) | {m.P50:F2} ({m.P50 / baseline.P50:F2}x) | {m.P99:F2} ({m.P99 / baseline.P99:F2}x) | {m.Max:F1} ({m.Max / baseline.Max:F2}x) | {m.LateP50:F2} ({m.LateP50 / baseline.LateP50:F2}x) | {m.LateP99:F2} ({m.LateP99 / baseline.LateP99:F2}x) | {m.Non2xx} |"));
}

var result = new StringBuilder("RESULT");
foreach (var (name, _) in builds)
{
    var m = medians[name];
    result.Append(CultureInfo.InvariantCulture,
        $" {name}_tickets_start_ms={m.TicketsStartMs:F0} {name}_gateway_start_ms={m.GatewayStartMs:F0} {name}_first_ack_ms={m.FirstAckMs:F1} {name}_p50_ms={m.P50:F2} {name}_p99_ms={m.P99:F2} {name}_max_ms={m.Max:F1} {name}_late_p50_ms={m.LateP50:F2} {name}_late_p99_ms={m.LateP99:F2}");
}

if (builds.Count > 1)
{
    var other = medians[builds[1].Name];
    result.Append(CultureInfo.InvariantCulture,
        $" start_ratio={(other.TicketsStartMs + other.GatewayStartMs) / (baseline.TicketsStartMs + baseline.GatewayStartMs):F2} first_ack_ratio={other.FirstAckMs / baseline.FirstAckMs:F2} p99_ratio={other.P99 / baseline.P99:F2} max_ratio={other.Max / baseline.Max:F2} late_p50_ratio={other.LateP50 / baseline.LateP50:F2}");
}

result.Append(CultureInfo.InvariantCulture, $" non2xx={medians.Values.Sum(m => m.Non2xx)} rounds={rounds} deliveries={deliveries} rate={rate} load1={LoadAverage().Split(' ')[0]}");
Console.WriteLine(result);
return 0;

async Task<ColdRun> ColdRunAsync(string directory, int round)
{
    var database = await postgres.CreateDatabaseAsync($"cold{round}");
    var ticketsGrpc = FreePort();
    var clock = Stopwatch.StartNew();
    await using var tickets = await TicketServiceProcess.StartAsync(ticketsGrpc, TicketServiceProcess.WithoutVendors(database, redis.ConnectionString), Path.Combine(directory, "TicketService"));
    var ticketsStarted = clock.Elapsed.TotalMilliseconds;
    using (var control = GrpcChannel.ForAddress($"http://127.0.0.1:{ticketsGrpc}"))
    {
        await new Sync.SyncClient(control).SetPausedAsync(new SetPausedRequest { Paused = true, Reason = "benchmark: the intake alone" });
    }

    var http = new Uri($"http://127.0.0.1:{FreePort()}");
    clock.Restart();
    await using var gateway = await GatewayProcess.StartAsync(http, new Uri($"http://127.0.0.1:{FreePort()}"), new Dictionary<string, string?>
    {
        ["ConnectionStrings:redis"] = redis.ConnectionString,
        ["services:tickets:grpc:0"] = $"http://127.0.0.1:{ticketsGrpc}",
        ["Intercom:ClientSecret"] = IntercomSecret,
        ["Zendesk:WebhookSecret"] = "bench-zendesk-secret",
        ["Gateway:ApiKeys:bench"] = ApiKeyStore.Hash(ApiKey),
    }, Path.Combine(directory, "Gateway"));
    var gatewayStarted = clock.Elapsed.TotalMilliseconds;

    var (latencies, non2xx) = await DeliverAsync(new Uri(http, "webhooks/intercom"));
    // The last third: whether a difference outlasts the first seconds.
    var late = latencies[(latencies.Length * 2 / 3)..];
    Array.Sort(late);
    var first = latencies[0];
    Array.Sort(latencies);
    return new ColdRun(ticketsStarted, gatewayStarted, first, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1],
        Percentile(late, 0.50), Percentile(late, 0.99), non2xx);
}

Task<(double[] Latencies, int Failures)> DeliverAsync(Uri url) => RunAtRateAsync(rate, deliveries, async i =>
{
    var body = Encoding.UTF8.GetBytes("{\"type\":\"notification_event\",\"id\":\"notif_cold_" + Guid.NewGuid().ToString("N")
        + "\",\"topic\":\"conversation.user.replied\",\"created_at\":1764079200,\"data\":{\"item\":{\"id\":\""
        + (i % 1000).ToString(CultureInfo.InvariantCulture) + "\",\"updated_at\":1764079100}}}");
    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
    request.Headers.TryAddWithoutValidation("X-Hub-Signature", IntercomSignature.Sign(body, secret));
    using var response = await client.SendAsync(request);
    return response.StatusCode == HttpStatusCode.OK;
});

internal sealed record ColdRun(double TicketsStartMs, double GatewayStartMs, double FirstAckMs, double P50, double P99, double Max, double LateP50, double LateP99, int Non2xx)
{
    /// <summary>Each figure's median over the rounds; non-2xx answers summed.</summary>
    public static ColdRun MedianOf(IReadOnlyList<ColdRun> rounds)
    {
        double Median(Func<ColdRun, double> figure)
        {
            var sorted = rounds.Select(figure).Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        }

        return new ColdRun(Median(r => r.TicketsStartMs), Median(r => r.GatewayStartMs), Median(r => r.FirstAckMs), Median(r => r.P50),
            Median(r => r.P99), Median(r => r.Max), Median(r => r.LateP50), Median(r => r.LateP99), rounds.Sum(r => r.Non2xx));
    }
}
