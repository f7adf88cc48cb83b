using System.Globalization;
using Ferry.EndToEnd.Tests;
using static Ferry.Testing.Benchmarking;

// Fault run (docs/RELIABILITY.md): issue 14's scenario at full scale on the real app model. Both
// vendors answer 20 % 503, 429 storms (Retry-After 1 s) and cut 2 % of answers mid-body, with 0–5 ms
// latency, from the first conversation until Ferry is done. CHAOS_CONVERSATIONS (40),
// CHAOS_LONG_THREAD (600), CHAOS_GROWTH (300), CHAOS_LARGEST_MB (45) and CHAOS_TIMEOUT_MINUTES (10) tune it.
var inv = CultureInfo.InvariantCulture;
var full = FaultScale.Full;
var scale = new FaultScale(
    EnvInt("CHAOS_CONVERSATIONS", full.Conversations),
    EnvInt("CHAOS_LONG_THREAD", full.LongThreadParts),
    EnvInt("CHAOS_GROWTH", full.LongThreadGrowth),
    EnvInt("CHAOS_LARGEST_MB", (int)(full.LargestFile / 1024 / 1024)) * 1024L * 1024L);
var timeout = TimeSpan.FromMinutes(EnvInt("CHAOS_TIMEOUT_MINUTES", 10));
Console.WriteLine(string.Create(inv, $"Fault run: {scale}, timeout {timeout.TotalMinutes} min"));
Console.WriteLine(string.Create(inv, $"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average {LoadAverage()}"));

await using var ferry = new FaultyFerryApp();
await ferry.InitializeAsync();
var report = await new FaultScenario(ferry, scale, line => Console.WriteLine(line)).RunAsync(timeout, CancellationToken.None);

Console.WriteLine();
Console.Write(report.Describe());
Console.WriteLine($"Load average after the run: {LoadAverage()}");
var completed = report.CompletedAfter is { } done ? done.TotalSeconds.ToString("0.0", inv) : "never";
Console.WriteLine(string.Create(inv,
    $"RESULT conversations={report.Conversations} parts={report.Parts} unreachable_parts={report.UnreachableParts} files={report.Files} bytes={report.Bytes} complete_s={completed} run_s={report.Elapsed.TotalSeconds:0.0} intercom_requests={report.IntercomRequests} zendesk_requests={report.ZendeskRequests} injected_5xx={report.InjectedCount("errors")} injected_429={report.InjectedCount("rate_limited")} injected_cut={report.InjectedCount("cut")} before_retry_after={report.RequestsBeforeRetryAfter} missing_parts={report.MissingParts} missing_files={report.MissingFiles} duplicate_parts={report.DuplicateParts} duplicate_files={report.DuplicateFiles} extra_tickets={report.ExtraTickets} duplicate_users={report.DuplicateUsers} dead_jobs={report.DeadJobs}"));
return report.Problems.Count == 0 ? 0 : 1;
