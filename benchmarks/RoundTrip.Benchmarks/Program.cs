using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using static Ferry.Testing.Benchmarking;

// Status round-trip benchmark (docs/BENCHMARKS.md, "Status round-trip"): the whole of Ferry on the real
// app model (local Postgres and Redis, every service, the sandbox as both vendors). One change at a time:
//   zendesk→intercom: an agent solves the ticket → sandbox status webhook → gateway → queue → worker →
//                     the Intercom conversation is closed (polled every 5 ms);
//   intercom→zendesk: a teammate closes the conversation → Intercom webhook → … → the ticket is solved;
//   floor:            what a connector that already holds the webhook must still do, measured directly
//                     against the same sandbox: read the ticket, close the conversation.
//   reply zendesk→intercom (dual mode, on in sandbox mode): an agent replies in Zendesk → comment webhook → … →
//                     the admin reply is in the conversation; its floor: read the ticket's newest comments, post
//                     the reply to Intercom.
// BENCH_ROUNDTRIPS (30 per path) and BENCH_WARMUP (3) tune it.
var inv = CultureInfo.InvariantCulture;
var count = EnvInt("BENCH_ROUNDTRIPS", 30);
var warmup = EnvInt("BENCH_WARMUP", 3);
const string IntercomToken = "bench-intercom-token";
const string ZendeskToken = "bench-zendesk-token";
var dataDirectory = Directory.CreateTempSubdirectory("ferry-bench-");
if (!OperatingSystem.IsWindows())
{
    // The local Postgres runs as the postgres user, which must traverse into the data directory.
    dataDirectory.UnixFileMode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
}

Console.WriteLine(string.Create(inv, $"Status round-trip benchmark: {count} changes per path after {warmup} warm-ups, one at a time"));
Console.WriteLine(string.Create(inv, $"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average {LoadAverage()}"));

var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
[
    "Ferry:Infrastructure=local",
    $"Ferry:DataDirectory={dataDirectory.FullName}",
    "Ferry:DemoTraffic=false",
    "DcpPublisher:RandomizePorts=true",
    $"Parameters:intercom-access-token={IntercomToken}",
    $"Parameters:zendesk-api-token={ZendeskToken}",
    "Logging:LogLevel:Default=Warning",
]);
// The benchmark polls the vendor APIs: lift the sandbox's rate limits so polling is never answered 429
// (Ferry's own shared budget stays as configured).
builder.CreateResourceBuilder<ProjectResource>("sandbox")
    .WithEnvironment("Sandbox__Zendesk__RateLimitPerMinute", "100000000")
    .WithEnvironment("Sandbox__Intercom__RateLimitPer10Seconds", "100000000");
await using var app = await builder.BuildAsync();
using (var startup = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
{
    await app.StartAsync(startup.Token);
    foreach (var resource in new[] { "sandbox", "identity", "attachments", "tickets", "gateway" })
    {
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, startup.Token);
    }
}

using var sandbox = app.CreateHttpClient("sandbox", "http");
using var intercom = VendorClient("intercom/", IntercomToken);
using var zendesk = VendorClient("zendesk/", ZendeskToken);
var admin = (await PostAsync("/admin/intercom/admins", new { name = "Bench Closer", email = "bench.closer@ferry.example" }))["id"]!.GetValue<string>();
var agent = (await PostAsync("/admin/zendesk/users", new { name = "Bench Closer", email = "bench.closer@ferry.example", role = "agent" }))["user"]!["id"]!.GetValue<long>();
var replies = new List<(string ConversationId, long TicketId)>();
var directReplies = new List<(string ConversationId, long TicketId)>();

var zendeskToIntercom = await MeasureAsync("zendesk→intercom", async c =>
{
    var started = Stopwatch.GetTimestamp();
    (await sandbox.PostAsync(new Uri($"/admin/zendesk/tickets/{c.TicketId}/status?status=solved", UriKind.Relative), null)).EnsureSuccessStatusCode();
    await UntilAsync(async () => (await ConversationAsync(c.ConversationId))["state"]!.GetValue<string>() == "closed");
    return Stopwatch.GetElapsedTime(started);
});
var intercomToZendesk = await MeasureAsync("intercom→zendesk", async c =>
{
    var started = Stopwatch.GetTimestamp();
    await PostAsync($"/admin/intercom/conversations/{c.ConversationId}/parts", new { partType = "close", authorType = "admin", authorId = admin });
    await UntilAsync(async () => (await TicketAsync(c.TicketId))["status"]!.GetValue<string>() == "solved");
    return Stopwatch.GetElapsedTime(started);
});
var floor = await MeasureAsync("floor (direct calls)", async c =>
{
    var started = Stopwatch.GetTimestamp();
    await TicketAsync(c.TicketId);
    using var close = await intercom.PostAsJsonAsync(new Uri($"conversations/{c.ConversationId}/parts", UriKind.Relative),
        new Dictionary<string, string> { ["message_type"] = "close", ["type"] = "admin", ["admin_id"] = admin });
    close.EnsureSuccessStatusCode();
    return Stopwatch.GetElapsedTime(started);
});
var replyToIntercom = await MeasureAsync("reply zendesk→intercom", async c =>
{
    replies.Add(c);
    var started = Stopwatch.GetTimestamp();
    await PostAsync($"/admin/zendesk/tickets/{c.TicketId}/agent-comments", new { authorId = agent, body = "<p>Fixed, please retry.</p>", @public = true });
    await UntilAsync(async () => AdminComments(await ConversationAsync(c.ConversationId)) == 1);
    return Stopwatch.GetElapsedTime(started);
});
var replyFloor = await MeasureAsync("reply floor (direct calls)", async c =>
{
    directReplies.Add(c);
    var started = Stopwatch.GetTimestamp();
    using (var comments = await zendesk.GetAsync(new Uri($"api/v2/tickets/{c.TicketId}/comments?sort_order=desc&per_page=100", UriKind.Relative)))
    {
        comments.EnsureSuccessStatusCode();
    }

    using var reply = await intercom.PostAsJsonAsync(new Uri($"conversations/{c.ConversationId}/reply", UriKind.Relative),
        new Dictionary<string, string> { ["message_type"] = "comment", ["type"] = "admin", ["admin_id"] = admin, ["body"] = "<p>Fixed, please retry.</p>" });
    reply.EnsureSuccessStatusCode();
    return Stopwatch.GetElapsedTime(started);
});

Console.WriteLine();
Console.WriteLine($"{"path",-28} {"p50 ms",9} {"p99 ms",9} {"max ms",9} {"p50 / floor",12}");
foreach (var (name, samples, pathFloor) in new[]
{
    ("zendesk→intercom", zendeskToIntercom, floor), ("intercom→zendesk", intercomToZendesk, floor), ("floor (direct calls)", floor, floor),
    ("reply zendesk→intercom", replyToIntercom, replyFloor), ("reply floor (direct calls)", replyFloor, replyFloor),
})
{
    Console.WriteLine(string.Create(inv, $"{name,-28} {Percentile(samples, 0.50),9:0.0} {Percentile(samples, 0.99),9:0.0} {samples.Max(),9:0.0} {Percentile(samples, 0.50) / Percentile(pathFloor, 0.50),11:0.0}x"));
}

// No echo: every carried reply is once in the conversation and never came back to the ticket (opening + reply).
await Task.Delay(1000);
var echoed = 0;
foreach (var c in replies)
{
    var comments = (await zendesk.GetFromJsonAsync<JsonObject>(new Uri($"api/v2/tickets/{c.TicketId}/comments", UriKind.Relative)))!["comments"]!.AsArray().Count;
    echoed += AdminComments(await ConversationAsync(c.ConversationId)) == 1 && comments == 2 ? 0 : 1;
}

// No ping-pong: every conversation Ferry closed has exactly one close part, and no reopen.
var flapped = 0;
foreach (var c in Conversations.All.Where(c => !replies.Contains(c) && !directReplies.Contains(c)))
{
    var parts = (await ConversationAsync(c.ConversationId))["conversation_parts"]!["conversation_parts"]!.AsArray().Select(p => p!["part_type"]!.GetValue<string>()).ToList();
    flapped += parts.Count(p => p == "close") == 1 && !parts.Contains("open") ? 0 : 1;
}

Console.WriteLine(string.Create(inv, $"Conversations with more than one close or any reopen (ping-pong): {flapped} of {Conversations.All.Count - replies.Count - directReplies.Count}; carried replies echoed or doubled: {echoed} of {replies.Count}"));
Console.WriteLine(string.Create(inv,
    $"RESULT status_z2i_p50_ms={Percentile(zendeskToIntercom, 0.5):0.0} status_i2z_p50_ms={Percentile(intercomToZendesk, 0.5):0.0} status_floor_p50_ms={Percentile(floor, 0.5):0.0} reply_z2i_p50_ms={Percentile(replyToIntercom, 0.5):0.0} reply_z2i_p99_ms={Percentile(replyToIntercom, 0.99):0.0} reply_floor_p50_ms={Percentile(replyFloor, 0.5):0.0} reply_p50_ratio={Percentile(replyToIntercom, 0.5) / Percentile(replyFloor, 0.5):0.0} ping_pong={flapped} echoed={echoed} load_average={LoadAverage()}"));
try
{
    dataDirectory.Delete(recursive: true);
}
catch (IOException)
{
}

return flapped == 0 && echoed == 0 ? 0 : 1;

async Task<List<double>> MeasureAsync(string name, Func<(string ConversationId, long TicketId), Task<TimeSpan>> change)
{
    var samples = new List<double>();
    for (var i = 0; i < warmup + count; i++)
    {
        var conversation = await SyncedConversationAsync($"{name.Split(' ')[0].Replace('→', '-')}-{i}");
        var elapsed = await change(conversation);
        if (i >= warmup)
        {
            samples.Add(elapsed.TotalMilliseconds);
        }
    }

    samples.Sort();
    Console.WriteLine(string.Create(inv, $"{name}: {samples.Count} samples, p50 {Percentile(samples, 0.5):0.0} ms"));
    return samples;
}

async Task<(string ConversationId, long TicketId)> SyncedConversationAsync(string tag)
{
    var contact = await PostAsync("/admin/intercom/contacts", new { role = "user", email = $"{tag}@bench.example", name = "Bench" });
    var conversation = await PostAsync("/admin/intercom/conversations", new { contactId = contact["id"]!.GetValue<string>(), body = "<p>Round trip</p>" });
    var conversationId = conversation["id"]!.GetValue<string>();
    long ticketId = 0;
    await UntilAsync(async () =>
    {
        using var response = await zendesk.GetAsync(new Uri($"api/v2/tickets?external_id=intercom-conversation-{conversationId}", UriKind.Relative));
        var tickets = (await response.Content.ReadFromJsonAsync<JsonObject>())!["tickets"]!.AsArray();
        ticketId = tickets.Count == 1 ? tickets[0]!["id"]!.GetValue<long>() : 0;
        return ticketId != 0;
    });
    // Let the creation's own webhooks and status step settle before the measured change.
    await Task.Delay(300);
    Conversations.All.Add((conversationId, ticketId));
    return (conversationId, ticketId);
}

static int AdminComments(JsonObject conversation) =>
    conversation["conversation_parts"]!["conversation_parts"]!.AsArray().Count(p => p!["part_type"]!.GetValue<string>() == "comment" && p["author"]!["type"]!.GetValue<string>() == "admin");

async Task<JsonObject> ConversationAsync(string id) => (await sandbox.GetFromJsonAsync<JsonObject>(new Uri($"/admin/intercom/conversations/{id}", UriKind.Relative)))!;

async Task<JsonObject> TicketAsync(long id) => (await zendesk.GetFromJsonAsync<JsonObject>(new Uri($"api/v2/tickets/{id}", UriKind.Relative)))!["ticket"]!.AsObject();

async Task<JsonObject> PostAsync(string path, object body)
{
    using var response = await sandbox.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
}

static async Task UntilAsync(Func<Task<bool>> done)
{
    var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 120);
    while (!await done())
    {
        if (Stopwatch.GetTimestamp() > deadline)
        {
            throw new TimeoutException("A change never arrived on the other side within 120 s.");
        }

        await Task.Delay(5);
    }
}

HttpClient VendorClient(string prefix, string token)
{
    var client = new HttpClient { BaseAddress = new Uri(sandbox.BaseAddress!, prefix) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return client;
}

internal static class Conversations
{
    public static List<(string ConversationId, long TicketId)> All { get; } = [];
}
