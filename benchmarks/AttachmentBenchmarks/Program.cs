using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Ferry.AttachmentService.Api;
using Ferry.Sandbox.Extensions;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Zendesk;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

// Usage: Ferry.AttachmentBenchmarks [runs=5] [sizeMiB=50]
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var size = (args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 50) * 1024 * 1024;
var inv = CultureInfo.InvariantCulture;

var token = RandomNumberGenerator.GetHexString(32, lowercase: true);
await using var sandbox = new ServiceHost<SandboxOptions>(new Dictionary<string, string?>
{
    ["Sandbox:Zendesk:ApiToken"] = token,
    ["Sandbox:Zendesk:MaxUploadBytes"] = (size + 1).ToString(inv),
}).Start();
var zendeskBase = new Uri(sandbox.HttpAddress, "zendesk/");

await using var service = new ServiceHost<AttachmentsApi>(new Dictionary<string, string?>
{
    ["Zendesk:BaseUrl"] = zendeskBase.ToString(),
    ["Zendesk:ApiToken"] = token,
    ["Attachments:AllowedHosts:0"] = "127.0.0.1",
    ["Attachments:AllowInsecureHttpForHosts:0"] = "127.0.0.1",
    ["Attachments:AllowLoopback"] = "true",
    ["Attachments:MaxFileBytes"] = size.ToString(inv),
    // No Redis (port 1 refuses): the shared rate budget runs unpaced, as in a Redis outage.
    ["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false,connectTimeout=200",
}).Start();
using var channel = service.CreateGrpcChannel();
var client = new Attachments.AttachmentsClient(channel);

var renderer = sandbox.Services.GetRequiredService<IntercomRenderer>();
var zendesk = sandbox.Services.GetRequiredService<ZendeskState>();
long seed = 1;
string NewUrl(out string sha)
{
    var attachment = new IcAttachment("bench.bin", "application/octet-stream", size, seed++);
    sha = AttachmentContent.Sha256(attachment.Seed, size);
    return renderer.AttachmentUrl(attachment, sandbox.HttpAddress.ToString().TrimEnd('/'));
}

// Baseline: the straightforward streaming copy with a plain HttpClient, same sandbox, same process.
using var raw = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
raw.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
async Task<string> RawCopyAsync(string url)
{
    using var download = await raw.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
    download.EnsureSuccessStatusCode();
    using var content = new StreamContent(await download.Content.ReadAsStreamAsync(), 64 * 1024);
    content.Headers.ContentType = download.Content.Headers.ContentType;
    content.Headers.ContentLength = download.Content.Headers.ContentLength;
    using var upload = await raw.PostAsync(new Uri(zendeskBase, "api/v2/uploads?filename=bench.bin"), content);
    upload.EnsureSuccessStatusCode();
    var json = await upload.Content.ReadAsStringAsync();
    return System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("upload").GetProperty("token").GetString()!;
}

async Task<string> ServiceCopyAsync(string url)
{
    var request = new CopyRequest { ConversationId = "bench", PartId = "bench" };
    request.Attachments.Add(new SourceAttachment { Url = url, Name = "bench.bin", ContentType = "application/octet-stream", Size = size });
    var reply = await client.CopyAsync(request);
    if (reply.Files[0].Outcome != CopyOutcome.Copied)
    {
        throw new InvalidOperationException(reply.Files[0].Reason);
    }

    return reply.UploadToken;
}

async Task<Sample> MeasureAsync(Func<string, Task<string>> copy)
{
    var url = NewUrl(out var sha);
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    using var process = Process.GetCurrentProcess();
    process.Refresh();
    var before = process.WorkingSet64;
    var peak = before;
    using var stop = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        using var p = Process.GetCurrentProcess();
        while (!stop.IsCancellationRequested)
        {
            p.Refresh();
            peak = Math.Max(peak, p.WorkingSet64);
            await Task.Delay(5);
        }
    });
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    var watch = Stopwatch.StartNew();
    var uploadToken = await copy(url);
    watch.Stop();
    allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
    await stop.CancelAsync();
    await sampler;
    var stored = zendesk.Uploads().Single(u => u.Token == uploadToken).Attachments.Single();
    if (stored.Size != size || stored.Sha256 != sha)
    {
        throw new InvalidOperationException("The copy is not byte-identical.");
    }

    return new Sample(size / watch.Elapsed.TotalSeconds, peak - before, allocated);
}

Console.WriteLine(string.Create(inv, $"AttachmentService benchmark: {size / 1024 / 1024} MiB file, {runs} runs each (after one warm-up), {Environment.ProcessorCount} cores, Server GC {System.Runtime.GCSettings.IsServerGC}"));
await MeasureAsync(RawCopyAsync);
await MeasureAsync(ServiceCopyAsync);
var rawSamples = new List<Sample>();
var serviceSamples = new List<Sample>();
for (var i = 0; i < runs; i++)
{
    // Alternate so machine noise hits both sides alike.
    rawSamples.Add(await MeasureAsync(RawCopyAsync));
    serviceSamples.Add(await MeasureAsync(ServiceCopyAsync));
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

const double MiB = 1024 * 1024;
void Report(string name, List<Sample> samples) => Console.WriteLine(string.Create(inv,
    $"{name,-28} median {Median(samples.Select(s => s.BytesPerSecond)) / MiB,8:F1} MiB/s   peak working-set growth max {samples.Max(s => s.PeakWorkingSetGrowth) / MiB,6:F1} MiB (median {Median(samples.Select(s => (double)s.PeakWorkingSetGrowth)) / MiB:F1})   allocated median {Median(samples.Select(s => (double)s.AllocatedBytes)) / MiB,6:F1} MiB/copy"));
Report("raw HttpClient copy", rawSamples);
Report("AttachmentService.Copy", serviceSamples);
Console.WriteLine(string.Create(inv,
    $"throughput ratio (service / raw): {Median(serviceSamples.Select(s => s.BytesPerSecond)) / Median(rawSamples.Select(s => s.BytesPerSecond)):F2}"));
Console.WriteLine("Memory figures are for the whole benchmark process (sandbox, service and client in one process); allocations include the sandbox's.");

internal readonly record struct Sample(double BytesPerSecond, long PeakWorkingSetGrowth, long AllocatedBytes);
