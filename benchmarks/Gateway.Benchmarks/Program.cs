using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Ferry.Gateway.Api;
using Ferry.Gateway.Benchmarks;
using Ferry.Gateway.Webhooks;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;
using Grpc.Net.Client;
using static Ferry.Testing.Benchmarking;

// Gateway benchmark: webhook acknowledgement (hey, fixed rate) against a bare Kestrel endpoint, and a
// unary gRPC call through the gateway's YARP route against the same backend called directly.
// Everything runs on this machine in one run; the ratios are what to compare across machines. The full
// acknowledgement is split in two: TicketService's Enqueue called directly (the hop behind the gateway), and
// webhooks through a gateway in its own process in front of it.
var seconds = int.Parse(Environment.GetEnvironmentVariable("BENCH_SECONDS") ?? "10", CultureInfo.InvariantCulture);
var rate = int.Parse(Environment.GetEnvironmentVariable("BENCH_RATE") ?? "200", CultureInfo.InvariantCulture);
// The full path commits to Postgres per delivery: on a small shared machine it saturates far below `rate`.
var fullRate = int.Parse(Environment.GetEnvironmentVariable("BENCH_FULL_RATE") ?? "50", CultureInfo.InvariantCulture);
// BENCH_WORKERS=run leaves TicketService's job workers running during the full-ack scenarios (they fail every job
// against a closed vendor port and retry it); by default the queue is paused and the intake is measured alone.
var workersRun = Environment.GetEnvironmentVariable("BENCH_WORKERS") == "run";
const int Workers = 4;
// Unmeasured seconds at each fixed-rate scenario's own rate first (BENCH_WARMUP). A freshly started service
// JIT-compiles for tens of seconds (tiered compilation with dynamic PGO): 3 s in, the gateway still spent half a
// core on the JIT at 500 req/s, and that, not the request path, was the tail measured (docs/BENCHMARKS.md).
var warmUpSeconds = int.Parse(Environment.GetEnvironmentVariable("BENCH_WARMUP") ?? "20", CultureInfo.InvariantCulture);

await using var redis = new RedisServer();
await redis.InitializeAsync();

// Baselines: a bare Kestrel app with a webhook-shaped endpoint (reads the body, answers 200) and a
// minimal gRPC-speaking endpoint for ferry.v1.Sync/GetSync (empty SyncState, grpc-status 0).
var bareHttp = FreePort();
var bareGrpc = FreePort();
var bare = WebApplication.CreateSlimBuilder();
bare.Logging.ClearProviders();
bare.WebHost.ConfigureKestrel(k =>
{
    k.Listen(IPAddress.Loopback, bareHttp, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
    k.Listen(IPAddress.Loopback, bareGrpc, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
});
var bareApp = bare.Build();
bareApp.MapPost("/ack", async (HttpRequest request) =>
{
    await request.Body.CopyToAsync(Stream.Null);
    return Results.Ok();
});
bareApp.MapPost("/ferry.v1.Sync/GetSync", async (HttpContext context) =>
{
    await context.Request.Body.CopyToAsync(Stream.Null);
    context.Response.ContentType = "application/grpc";
    await context.Response.Body.WriteAsync(new byte[5]); // uncompressed, zero-length message
    context.Response.AppendTrailer("grpc-status", "0");
});
await bareApp.StartAsync();

const string intercomSecret = "bench-intercom-secret";
const string apiKey = "bench-api-key";
await using var gateway = StartGateway($"http://127.0.0.1:{bareGrpc}");

var work = Directory.CreateTempSubdirectory("ferry-bench-").FullName;
var unusedBody = Body(work, "unused.json", "{\"type\":\"notification_event\",\"id\":\"notif_bench_unused\",\"topic\":\"company.created\",\"created_at\":1764079200,\"data\":{\"item\":{\"id\":\"1\"}}}");
var duplicateJson = "{\"type\":\"notification_event\",\"id\":\"notif_bench_dup\",\"topic\":\"conversation.user.replied\",\"created_at\":1764079200,\"data\":{\"item\":{\"id\":\"456\",\"updated_at\":1764079100}}}";
var duplicateBody = Body(work, "duplicate.json", duplicateJson);
// The duplicate scenario exercises verify + parse + the Redis fast-dedup lookup (the delivery was acknowledged before).
using (var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
{
    await mux.GetDatabase().StringSetAsync(DeliveryDedup.Key("intercom", "notif_bench_dup"), 1, TimeSpan.FromHours(1));
}

Console.WriteLine($"Gateway benchmark: {rate} req/s ({fullRate} req/s for the full ack) for {seconds} s per scenario, {Environment.ProcessorCount} cores");
var results = new List<(string Name, double P50, double P99, string Note, int Failed)>();

// Warm-up (JIT, connection pools, Redis) so the first measured scenario is not penalised.
foreach (var (url, body, signature) in new[]
{
    ($"http://127.0.0.1:{bareHttp}/ack", unusedBody, (string?)null),
    (new Uri(gateway.HttpAddress, "webhooks/intercom").ToString(), unusedBody, IntercomSignature.Sign(unusedBody.Bytes, Encoding.UTF8.GetBytes(intercomSecret))),
    (new Uri(gateway.HttpAddress, "webhooks/intercom").ToString(), duplicateBody, IntercomSignature.Sign(duplicateBody.Bytes, Encoding.UTF8.GetBytes(intercomSecret))),
})
{
    Hey("warm-up", url, body.Path, signature, warmUp: true);
}

using var serverTimes = new ServerDurations();
using var allocationTypes = AllocationTypes.StartIfAsked();
allocationTypes?.Record();
// Bytes this process allocated per request while only that endpoint was called (both servers live in it; hey does not).
var allocated = GC.GetTotalAllocatedBytes(precise: true);
// The baseline gets the very request the gateway gets, signature header included (Kestrel's cost of reading it is
// not the gateway's); it just does not check it.
var unusedSignature = IntercomSignature.Sign(unusedBody.Bytes, Encoding.UTF8.GetBytes(intercomSecret));
var baseline = Hey("bare Kestrel POST (baseline)", $"http://127.0.0.1:{bareHttp}/ack", unusedBody.Path, unusedSignature);
var (bareServer, bareRequests) = serverTimes.Take("/ack");
var bareAllocated = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)bareRequests;
PrintAllocationTypes("bare Kestrel POST", bareRequests);
allocated = GC.GetTotalAllocatedBytes(precise: true);
results.Add(baseline);
results.Add(Hey("gateway: Intercom unused topic (verify+parse)", new Uri(gateway.HttpAddress, "webhooks/intercom").ToString(), unusedBody.Path, unusedSignature));
var (verifyServer, verifyRequests) = serverTimes.Take(WebhookEndpoints.IntercomPath);
var verifyAllocated = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)verifyRequests;
PrintAllocationTypes("gateway verify+parse", verifyRequests);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"  inside the server (ASP.NET Core's http.server.request.duration), p50: bare {bareServer * 1000:F1} µs, gateway verify+parse {verifyServer * 1000:F1} µs ({verifyServer / bareServer:F2}x); allocated per request: bare {bareAllocated:F0} B, gateway {verifyAllocated:F0} B ({unusedBody.Bytes.Length} B body)"));
results.Add(Hey("gateway: Intercom duplicate (verify+parse+Redis)", new Uri(gateway.HttpAddress, "webhooks/intercom").ToString(), duplicateBody.Path,
    IntercomSignature.Sign(duplicateBody.Bytes, Encoding.UTF8.GetBytes(intercomSecret))));

var direct = await GrpcAsync("gRPC GetSync direct (baseline)", new Uri($"http://127.0.0.1:{bareGrpc}"), null);
var proxied = await GrpcAsync("gRPC GetSync through gateway (YARP+auth+rate limit)", gateway.GrpcAddress, apiKey);

// Full acknowledgement: unique deliveries through a gateway in front of the real TicketService
// (own process, local Postgres): verify + parse + Redis + Enqueue (inbox + job committed) + 200.
(string Name, double P50, double P99, string Note, int Failed)? full = null;
(string Name, double P50, double P99, string Note, int Failed)? enqueueDirect = null;
(string Name, double P50, double P99, string Note, int Failed)? ticketsDirect = null;
(string Name, double P50, double P99, string Note, int Failed)? ticketsProxied = null;
if (Environment.GetEnvironmentVariable("BENCH_FULL") != "0")
{
    await using var postgres = new PostgresServer();
    await postgres.InitializeAsync();
    var ticketsGrpc = FreePort();
    var database = await postgres.CreateDatabaseAsync("bench");
    await using var tickets = await TicketServiceProcess.StartAsync(ticketsGrpc, database, redis.ConnectionString);
    if (!workersRun)
    {
        // The intake alone: otherwise TicketService's workers claim each queued job and fail it against the
        // closed vendor port, again every few seconds, and those commits share the database with the intake's.
        using var control = GrpcChannel.ForAddress($"http://127.0.0.1:{ticketsGrpc}");
        await new Sync.SyncClient(control).SetPausedAsync(new SetPausedRequest { Paused = true, Reason = "benchmark: the intake alone" });
    }

    // The hop behind the gateway alone: the same deliveries handed to TicketService as the gateway does.
    enqueueDirect = await EnqueueDirectAsync($"TicketService Enqueue direct (gRPC, committed) at {fullRate} req/s", new Uri($"http://127.0.0.1:{ticketsGrpc}"), database);

    // The gateway in a process of its own, as deployed: the load generator's threads and GC are not its own.
    var (fullGatewayHttp, fullGatewayGrpc) = (new Uri($"http://127.0.0.1:{FreePort()}"), new Uri($"http://127.0.0.1:{FreePort()}"));
    await using var fullGateway = await GatewayProcess.StartAsync(fullGatewayHttp, fullGatewayGrpc, GatewaySettings($"http://127.0.0.1:{ticketsGrpc}"));
    full = await WebhookAckAsync($"gateway: Intercom new delivery, full ack (Enqueue committed) at {fullRate} req/s", new Uri(fullGatewayHttp, "webhooks/intercom"));
    ticketsDirect = await GrpcAsync("gRPC GetSync TicketService direct (baseline)", new Uri($"http://127.0.0.1:{ticketsGrpc}"), null);
    ticketsProxied = await GrpcAsync("gRPC GetSync TicketService through gateway", fullGatewayGrpc, apiKey);
}

Console.WriteLine();
Console.WriteLine($"| scenario | p50 ms | p99 ms | p50 ratio | p99 ratio |");
Console.WriteLine($"|---|---|---|---|---|");
foreach (var r in results)
{
    Console.WriteLine(Row(r, baseline));
}

if (full is { } f && enqueueDirect is { } e)
{
    Console.WriteLine(Row(f, baseline));
    Console.WriteLine(Row(e, baseline));
}

Console.WriteLine(Row(direct, direct));
Console.WriteLine(Row(proxied, direct));
if (ticketsDirect is { } td && ticketsProxied is { } tp)
{
    Console.WriteLine(Row(td, td));
    Console.WriteLine(Row(tp, td));
}

// Issue 16's keys: the full acknowledgement at BENCH_FULL_RATE, and verify+parse against bare Kestrel at p50.
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RESULT ack{fullRate}_p50_ms={full?.P50:F2} ack{fullRate}_p99_ms={full?.P99:F2} ack_non2xx={full?.Failed ?? 0} verify_p50_ratio={results[1].P50 / baseline.P50:F2} verify_server_p50_ratio={verifyServer / bareServer:F2} bare_server_p50_us={bareServer * 1000:F1} verify_server_p50_us={verifyServer * 1000:F1} bare_alloc_bytes={bareAllocated:F0} verify_alloc_bytes={verifyAllocated:F0} grpc_proxy_p50_ratio={proxied.P50 / direct.P50:F2} enqueue_direct_p50_ms={enqueueDirect?.P50:F2} enqueue_direct_p99_ms={enqueueDirect?.P99:F2} workers={(workersRun ? "run" : "paused")} load1={File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));

await bareApp.StopAsync();
await bareApp.DisposeAsync();
Directory.Delete(work, recursive: true);
return 0;

void PrintAllocationTypes(string scenario, int requests)
{
    if (allocationTypes is null)
    {
        return;
    }

    Console.WriteLine($"  allocated by type, {scenario} (sampled, every type of at least 1 %):");
    foreach (var line in allocationTypes.Take(requests))
    {
        Console.WriteLine("    " + line);
    }

    allocationTypes.Record();
}

ServiceHost<ApiKeyStore> StartGateway(string ticketsAddress) => new ServiceHost<ApiKeyStore>(GatewaySettings(ticketsAddress)).Start();

Dictionary<string, string?> GatewaySettings(string ticketsAddress) => new()
{
    ["environment"] = "Production",
    ["ConnectionStrings:redis"] = redis.ConnectionString,
    ["services:tickets:grpc:0"] = ticketsAddress,
    ["Intercom:ClientSecret"] = intercomSecret,
    ["Zendesk:WebhookSecret"] = "bench-zendesk-secret",
    ["Gateway:ApiKeys:bench"] = ApiKeyStore.Hash(apiKey),
    ["Gateway:RateLimit:PermitLimit"] = "1000000",
};

async Task<(string Name, double P50, double P99, string Note, int Failed)> EnqueueDirectAsync(string name, Uri address, string database)
{
    using var channel = GrpcChannel.ForAddress(address);
    var inbox = new SyncInbox.SyncInboxClient(channel);
    EnqueueRequest Request(int i) => new()
    {
        Source = Vendor.Intercom,
        DeliveryId = "notif_direct_" + Guid.NewGuid().ToString("N"),
        Topic = "conversation.user.replied",
        ConversationId = (i % 1000).ToString(CultureInfo.InvariantCulture),
        Payload = Google.Protobuf.ByteString.CopyFromUtf8("{\"type\":\"notification_event\"}"),
    };

    return await FixedRateAsync(name, fullRate, async i =>
    {
        await inbox.EnqueueAsync(Request(i));
        return true;
    }, () => AnalyzeAfterWarmUpAsync(database));
}

async Task<(string Name, double P50, double P99, string Note, int Failed)> WebhookAckAsync(string name, Uri url)
{
    using var client = new HttpClient();
    var secret = Encoding.UTF8.GetBytes(intercomSecret);
    HttpRequestMessage Request(int i)
    {
        var json = "{\"type\":\"notification_event\",\"id\":\"notif_bench_" + Guid.NewGuid().ToString("N") + "\",\"topic\":\"conversation.user.replied\","
            + "\"created_at\":1764079200,\"data\":{\"item\":{\"id\":\"" + (i % 1000).ToString(CultureInfo.InvariantCulture) + "\",\"updated_at\":1764079100}}}";
        var body = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("X-Hub-Signature", IntercomSignature.Sign(body, secret));
        return request;
    }

    return await FixedRateAsync(name, fullRate, async i =>
    {
        using var response = await client.SendAsync(Request(i));
        return response.StatusCode == HttpStatusCode.OK;
    });
}

async Task<(string Name, double P50, double P99, string Note, int Failed)> FixedRateAsync(string name, int perSecond, Func<int, Task<bool>> call, Func<Task>? afterWarmUp = null)
{
    // The same rate first, unmeasured: tiered JIT, connection pools and the database's caches settle, as in a
    // service that has been up for a while.
    await RunAtRateAsync(perSecond, perSecond * warmUpSeconds, call);
    if (afterWarmUp is not null)
    {
        await afterWarmUp();
    }

    var (latencies, failures) = await RunAtRateAsync(perSecond, perSecond * seconds, call);
    var total = latencies.Length;
    Array.Sort(latencies);
    var p50 = latencies[(int)(total * 0.50)];
    var p99 = latencies[Math.Min(total - 1, (int)(total * 0.99))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: p50 {p50:F2} ms, p99 {p99:F2} ms, {total} calls, {failures} failed"));
    return (name, p50, p99, failures > 0 ? $" {failures} failed" : "", failures);
}

static string Row((string Name, double P50, double P99, string Note, int Failed) r, (string Name, double P50, double P99, string Note, int Failed) b) =>
    string.Create(CultureInfo.InvariantCulture, $"| {r.Name} | {r.P50:F2} | {r.P99:F2} | {r.P50 / b.P50:F2}x | {r.P99 / b.P99:F2}x |{r.Note}");

(string Name, double P50, double P99, string Note, int Failed) Hey(string name, string url, string bodyPath, string? signature, bool warmUp = false)
{
    var args = new List<string> { "-z", warmUp ? "2s" : $"{seconds}s", "-c", $"{Workers}", "-q", $"{rate / Workers}", "-m", "POST", "-T", "application/json", "-D", bodyPath };
    if (signature is not null)
    {
        args.AddRange(["-H", $"X-Hub-Signature: {signature}"]);
    }

    args.Add(url);
    var start = new ProcessStartInfo("hey", args) { RedirectStandardOutput = true, UseShellExecute = false };
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    var statuses = Regex.Match(output, @"Status code distribution:\s*(.*?)(\n\n|\z)", RegexOptions.Singleline).Groups[1].Value.Trim().Replace('\n', ' ');
    var p50 = Percentile(output, 50);
    var p99 = Percentile(output, 99);
    if (!warmUp)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: p50 {p50:F2} ms, p99 {p99:F2} ms, {statuses}"));
    }

    return (name, p50, p99, "", 0);
}

static double Percentile(string heyOutput, int percentile)
{
    var match = Regex.Match(heyOutput, $@"\b{percentile}%% in ([0-9.]+) secs".Replace("%%", "%", StringComparison.Ordinal));
    return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * 1000 : double.NaN;
}

async Task<(string Name, double P50, double P99, string Note, int Failed)> GrpcAsync(string name, Uri address, string? key)
{
    using var channel = GrpcChannel.ForAddress(address);
    var client = new Sync.SyncClient(channel);
    var headers = key is null ? new Metadata() : new Metadata { { "x-api-key", key } };
    return await FixedRateAsync(name, rate, async _ =>
    {
        await client.GetSyncAsync(new GetSyncRequest { ConversationId = "456" }, headers);
        return true;
    });
}

static (string Path, byte[] Bytes) Body(string directory, string name, string json)
{
    var path = Path.Combine(directory, name);
    var bytes = Encoding.UTF8.GetBytes(json);
    File.WriteAllBytes(path, bytes);
    return (path, bytes);
}

