using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Ferry.Sandbox.Intercom;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Ferry tuned for a fault run: retries back off within seconds instead of minutes, and both the
/// sandbox's plan limits and Ferry's own budget are lifted, so the run measures how Ferry survives
/// faults (the injected 429 storms included), not the pace of a Zendesk plan.
/// </summary>
public sealed class FaultyFerryApp : FerryApp
{
    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        // A run makes a thousand vendor calls and as many webhooks: the services' information logs
        // (forwarded by the app host) would bury the figures, and the probes failing at shutdown add nothing.
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.Configuration["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "None";
        builder.CreateResourceBuilder<ProjectResource>("tickets")
            .WithEnvironment("Queue__BackoffBase", "00:00:00.200")
            .WithEnvironment("Queue__BackoffCap", "00:00:02")
            .WithEnvironment("Queue__PollInterval", "00:00:00.100")
            .WithEnvironment("VendorHttp__RetryDelay", "00:00:00.200")
            .WithEnvironment("RateLimits__ZendeskPerMinute", "60000")
            .WithEnvironment("RateLimits__IntercomPerMinute", "60000");
        builder.CreateResourceBuilder<ProjectResource>("attachments")
            .WithEnvironment("Attachments__RetryBaseDelay", "00:00:00.200");
        builder.CreateResourceBuilder<ProjectResource>("identity")
            .WithEnvironment("VendorHttp__RetryDelay", "00:00:00.200");
        builder.CreateResourceBuilder<ProjectResource>("sandbox")
            .WithEnvironment("Sandbox__Zendesk__RateLimitPerMinute", "100000000")
            .WithEnvironment("Sandbox__Intercom__RateLimitPer10Seconds", "100000000");
    }
}

/// <summary>
/// Issue 14's fault run on the real app model: conversations (customers new and existing, files from
/// 0 B up to <see cref="FaultScale.LargestFile"/>, one long thread that grows mid-run) are created while
/// the sandbox fails like the real APIs do, faults stay on until Ferry is done, and the Zendesk side is
/// then checked part by part and file by file against what Intercom holds.
/// </summary>
public sealed class FaultScenario(FerryApp ferry, FaultScale scale, Action<string> log)
{
    /// <summary>The sandbox's counter of vendor requests sent while a Retry-After was still running (GET /admin/stats).</summary>
    public const string RequestsBeforeRetryAfterField = "requestsBeforeRetryAfter";

    /// <summary>How the problem of requests sent inside a Retry-After pause begins.</summary>
    public const string EarlyRequestsProblem = "requests sent before a Retry-After expired";

    /// <summary>20 % 503 on both vendors, 429 storms with a short Retry-After, 2 % of answers cut mid-body, 0–5 ms latency.</summary>
    public static readonly object Faults = new
    {
        scope = "all",
        errorRate = 0.2,
        errorStatus = 503,
        rateLimitRate = 0.1,
        retryAfterSeconds = 1,
        dropRate = 0.02,
        latencyDistribution = "uniform",
        latencyMs = 0,
        latencyMaxMs = 5,
    };

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Vendors = ["intercom", "zendesk"];
    private readonly List<ExpectedConversation> _conversations = [];
    private readonly V1.Sync.SyncClient _sync = new(ferry.Gateway);
    private string _admin = "";

    /// <summary>Creates everything, turns faults on, waits for Ferry (up to <paramref name="timeout"/>) and checks the result.</summary>
    public async Task<FaultReport> RunAsync(TimeSpan timeout, CancellationToken ct)
    {
        _admin = (await ferry.PostAdminAsync("/admin/intercom/admins", new { name = "Fay Fault", email = "fay.fault@ferry.example" }, ct))["id"]!.GetValue<string>();
        var contacts = await CreateCustomersAsync(ct);
        await ferry.SetFaultsAsync(Faults, ct);
        var clock = Stopwatch.StartNew();
        try
        {
            var longThread = await CreateLongThreadAsync(contacts[0], ct);
            for (var i = 1; i < scale.Conversations; i++)
            {
                await CreateConversationAsync(i, contacts[i], ct);
            }

            log(string.Create(Inv, $"{clock.Elapsed.TotalSeconds:0.0} s: {scale.Conversations} conversations created under faults"));
            await GrowLongThreadAsync(longThread, clock, timeout, ct);
            var (completedAfter, jobs) = await WaitForFerryAsync(clock, timeout, ct);
            var stats = await ferry.GetAdminAsync("/admin/stats", ct);
            var injected = await ferry.GetAdminAsync("/admin/faults/injected", ct);
            return await CheckAsync(completedAfter, clock.Elapsed, jobs, stats, injected, ct);
        }
        finally
        {
            await ferry.SetFaultsAsync(new { }, ct);
        }
    }

    /// <summary>The sandbox's count of requests sent to one vendor before a Retry-After it gave had expired.</summary>
    public static long RequestsBeforeRetryAfter(JsonObject stats, string vendor) =>
        stats[vendor]?[RequestsBeforeRetryAfterField]?.GetValue<long>()
            ?? throw new InvalidOperationException($"The sandbox's stats have no {vendor}.{RequestsBeforeRetryAfterField}.");

    /// <summary>
    /// One customer per conversation: every fourth already a Zendesk user (same email), every fifth the
    /// previous conversation's customer again (one contact, two conversations, one Zendesk user).
    /// </summary>
    private async Task<List<string>> CreateCustomersAsync(CancellationToken ct)
    {
        var contacts = new List<string>();
        for (var i = 0; i < scale.Conversations; i++)
        {
            if (i % 5 == 4)
            {
                contacts.Add(contacts[^1]);
                continue;
            }

            var email = string.Create(Inv, $"fault.customer{i}@customer.example");
            if (i % 4 == 3)
            {
                await ferry.PostAdminAsync("/admin/zendesk/users", new { name = $"Known {i}", email }, ct);
            }

            var contact = await ferry.PostAdminAsync("/admin/intercom/contacts", new { role = "user", email, name = $"Customer {i}" }, ct);
            contacts.Add(contact["id"]!.GetValue<string>());
        }

        return contacts;
    }

    /// <summary>A thread that already had <see cref="FaultScale.LongThreadParts"/> replies when Ferry first hears of it (one webhook).</summary>
    private async Task<ExpectedConversation> CreateLongThreadAsync(string contactId, CancellationToken ct)
    {
        var conversation = new ExpectedConversation(await OpenAsync(contactId, Marker(0, 0), [], notify: false, ct));
        conversation.Parts.Add(new ExpectedPart(Marker(0, 0), Reachable: true));
        _conversations.Add(conversation);
        await AddBulkAsync(conversation, 1, scale.LongThreadParts, "last", ct);

        // Intercom returns only the 500 most recent parts: the oldest ones are out of reach by design
        // (Ferry says so in a private note) and are not counted as lost.
        var unreachable = Math.Max(0, scale.LongThreadParts - IntercomState.MaxPartsReturned);
        for (var n = 1; n <= unreachable; n++)
        {
            conversation.Parts[n] = conversation.Parts[n] with { Reachable = false };
        }

        return conversation;
    }

    /// <summary>Once Ferry has the long thread's ticket, a teammate adds the growth, one webhook per reply.</summary>
    private async Task GrowLongThreadAsync(ExpectedConversation longThread, Stopwatch clock, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = clock.Elapsed + (timeout / 3);
        while ((await ferry.TicketsForAsync(longThread.Id, ct)).Count == 0 && clock.Elapsed < deadline)
        {
            await Task.Delay(250, ct);
        }

        var tickets = (await ferry.TicketsForAsync(longThread.Id, ct)).Count;
        log(string.Create(Inv, $"{clock.Elapsed.TotalSeconds:0.0} s: long thread {longThread.Id} has {tickets} ticket(s); growing it by {scale.LongThreadGrowth} parts"));
        const int Batch = 50;
        for (var first = scale.LongThreadParts + 1; first <= scale.LongThreadParts + scale.LongThreadGrowth; first += Batch)
        {
            var count = Math.Min(Batch, scale.LongThreadParts + scale.LongThreadGrowth - first + 1);
            await AddBulkAsync(longThread, first, count, "each", ct);
            await Task.Delay(500, ct);
        }
    }

    private async Task AddBulkAsync(ExpectedConversation conversation, int first, int count, string webhooks, CancellationToken ct)
    {
        await ferry.PostAdminAsync(
            $"/admin/intercom/conversations/{conversation.Id}/parts/bulk",
            new { count, start = first, partType = "comment", authorType = "admin", authorId = _admin, body = "<p>Long thread reply [c0-{n}]</p>", webhooks },
            ct);
        for (var n = first; n < first + count; n++)
        {
            conversation.Parts.Add(new ExpectedPart(Marker(0, n), Reachable: true));
        }
    }

    /// <summary>
    /// A short conversation: the opening message, a teammate's reply, a private note and the
    /// customer's answer; the first few carry files (0 B, small, a few MB, the largest).
    /// </summary>
    private async Task CreateConversationAsync(int index, string contactId, CancellationToken ct)
    {
        var files = scale.FilesFor(index);
        var opening = Marker(index, 0);
        var conversation = new ExpectedConversation(await OpenAsync(contactId, opening, files.Take(1), notify: true, ct));
        conversation.Parts.Add(new ExpectedPart(opening, Reachable: true));
        conversation.Files.AddRange(files);
        _conversations.Add(conversation);
        var replies = new (string PartType, string AuthorType, string AuthorId)[] { ("comment", "admin", _admin), ("note", "admin", _admin), ("comment", "user", contactId) };
        for (var p = 0; p < replies.Length; p++)
        {
            var marker = Marker(index, p + 1);
            var attachments = p == 2 ? files.Skip(1).Select(Attachment).ToArray() : [];
            await ferry.PostAdminAsync(
                $"/admin/intercom/conversations/{conversation.Id}/parts",
                new { partType = replies[p].PartType, authorType = replies[p].AuthorType, authorId = replies[p].AuthorId, body = $"<p>Reply {marker}</p>", attachments },
                ct);
            conversation.Parts.Add(new ExpectedPart(marker, Reachable: true));
        }
    }

    private async Task<string> OpenAsync(string contactId, string marker, IEnumerable<ExpectedFile> files, bool notify, CancellationToken ct)
    {
        var created = await ferry.PostAdminAsync(
            "/admin/intercom/conversations",
            new { contactId, subject = "", body = $"<p>Opening {marker}</p>", attachments = files.Select(Attachment).ToArray(), notify },
            ct);
        return created["id"]!.GetValue<string>();
    }

    private static object Attachment(ExpectedFile f) => new { name = f.Name, contentType = "application/octet-stream", size = f.Size, seed = f.Seed };

    // Brackets end the marker, so "[c1-1]" never matches inside "[c1-10]".
    private static string Marker(int conversation, int part) => string.Create(Inv, $"[c{conversation}-{part}]");

    /// <summary>
    /// Polls until every conversation is complete in Zendesk (the time to complete), then until Ferry is
    /// idle (no webhook in flight, every job done or dead) so late duplicates are seen too. Also stops
    /// once Ferry is idle without being complete: that is the failure, there is nothing more to wait for.
    /// </summary>
    private async Task<(TimeSpan? CompletedAfter, Dictionary<string, SyncState?> Jobs)> WaitForFerryAsync(Stopwatch clock, TimeSpan timeout, CancellationToken ct)
    {
        TimeSpan? completedAfter = null;
        TimeSpan? idleSince = null;
        while (true)
        {
            var jobs = await JobsAsync(ct);
            if (completedAfter is null && Missing(await ZendeskAsync(ct)) == 0)
            {
                completedAfter = clock.Elapsed;
                log(string.Create(Inv, $"{clock.Elapsed.TotalSeconds:0.0} s: every part and file is in Zendesk"));
            }

            var pendingWebhooks = (await ferry.GetAdminAsync("/admin/state", ct))["webhooks"]!["pending"]!.GetValue<int>();
            var idle = pendingWebhooks == 0 && jobs.Values.All(j => j?.JobState is JobState.Done or JobState.Dead);
            idleSince = idle ? idleSince ?? clock.Elapsed : null;
            if (clock.Elapsed - idleSince > TimeSpan.FromSeconds(5) || clock.Elapsed > timeout)
            {
                log(string.Create(Inv, $"{clock.Elapsed.TotalSeconds:0.0} s: Ferry {(idle ? "idle" : "still busy")}; jobs {string.Join(", ", jobs.Values.GroupBy(j => j?.JobState.ToString() ?? "none").Select(g => $"{g.Key} {g.Count()}"))}"));
                return (completedAfter, jobs);
            }

            await Task.Delay(1000, ct);
        }
    }

    private async Task<Dictionary<string, SyncState?>> JobsAsync(CancellationToken ct)
    {
        var jobs = new Dictionary<string, SyncState?>();
        foreach (var c in _conversations)
        {
            try
            {
                jobs[c.Id] = await _sync.GetSyncAsync(new GetSyncRequest { ConversationId = c.Id }, cancellationToken: ct);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                jobs[c.Id] = null; // no job yet: its webhook has not been processed
            }
        }

        return jobs;
    }

    /// <summary>What Zendesk holds per conversation: its tickets, and the files (name, size, SHA-256) attached to their comments.</summary>
    private async Task<Dictionary<string, (List<JsonObject> Tickets, List<string> Files)>> ZendeskAsync(CancellationToken ct)
    {
        var uploads = (await ferry.GetAdminAsync("/admin/zendesk/uploads", ct))["uploads"]!.AsArray()
            .SelectMany(u => u!["attachments"]!.AsArray())
            .ToDictionary(a => a!["id"]!.GetValue<long>(), a => $"{a!["file_name"]} {a["size"]} {a["sha256"]}");
        var tickets = (await ferry.GetAdminAsync("/admin/zendesk/tickets", ct))["tickets"]!.AsArray().Select(t => t!.AsObject()).ToList();
        return _conversations.ToDictionary(c => c.Id, c =>
        {
            var mine = tickets.Where(t => t["ticket"]!["external_id"]?.GetValue<string>() == $"intercom-conversation-{c.Id}").ToList();
            var files = mine.SelectMany(t => t["comments"]!.AsArray())
                .SelectMany(comment => comment!["attachments"]!.AsArray())
                .Select(a => uploads.GetValueOrDefault(a!["id"]!.GetValue<long>(), "unknown upload"))
                .ToList();
            return (mine, files);
        });
    }

    private int Missing(Dictionary<string, (List<JsonObject> Tickets, List<string> Files)> zendesk) =>
        _conversations.Sum(c => Count(c, zendesk[c.Id]).Count(x => x.Found == 0 && x.Required));

    /// <summary>How often each expected part (by marker) and file (by name, size, SHA-256) occurs in the conversation's tickets.</summary>
    private static IEnumerable<(string What, bool IsFile, bool Required, int Found)> Count(ExpectedConversation c, (List<JsonObject> Tickets, List<string> Files) zendesk)
    {
        var bodies = zendesk.Tickets.SelectMany(t => t["comments"]!.AsArray()).Select(comment => comment!["html_body"]!.GetValue<string>()).ToList();
        foreach (var part in c.Parts)
        {
            yield return ($"part {part.Marker}", false, part.Reachable, bodies.Count(b => b.Contains(part.Marker, StringComparison.Ordinal)));
        }

        foreach (var file in c.Files)
        {
            yield return ($"file {file.Name} ({file.Size} B)", true, true, zendesk.Files.Count(f => f == file.Key));
        }
    }

    private async Task<FaultReport> CheckAsync(TimeSpan? completedAfter, TimeSpan elapsed, Dictionary<string, SyncState?> jobs, JsonObject stats, JsonObject injected, CancellationToken ct)
    {
        var zendesk = await ZendeskAsync(ct);
        var problems = new List<string>();
        int missingParts = 0, duplicateParts = 0, missingFiles = 0, duplicateFiles = 0;
        foreach (var c in _conversations)
        {
            var (tickets, _) = zendesk[c.Id];
            if (tickets.Count != 1)
            {
                problems.Add(string.Create(Inv, $"conversation {c.Id}: {tickets.Count} tickets"));
            }

            var counts = Count(c, zendesk[c.Id]).ToList();
            var missing = counts.Where(x => x.Found == 0 && x.Required).ToList();
            var doubled = counts.Where(x => x.Found > 1).ToList();
            missingParts += missing.Count(x => !x.IsFile);
            missingFiles += missing.Count(x => x.IsFile);
            duplicateParts += doubled.Count(x => !x.IsFile);
            duplicateFiles += doubled.Count(x => x.IsFile);
            if (missing.Count + doubled.Count > 0)
            {
                var job = jobs[c.Id];
                var first = missing.Take(3).Select(x => $"{x.What} missing").Concat(doubled.Take(3).Select(x => $"{x.What} ×{x.Found}"));
                problems.Add(string.Create(Inv,
                    $"conversation {c.Id}: {missing.Count} of {counts.Count(x => x.Required)} missing, {doubled.Count} doubled (e.g. {string.Join(", ", first)}); job {job?.JobState.ToString() ?? "none"}, last attempt {job?.LastAttempt?.AttemptNumber} {job?.LastAttempt?.Outcome}: {job?.LastAttempt?.Reason}"));
            }
        }

        var users = (await ferry.GetAdminAsync("/admin/zendesk/users", ct))["users"]!.AsArray()
            .Select(u => u!["email"]?.GetValue<string>()?.ToUpperInvariant())
            .Where(e => e is not null && e.StartsWith("FAULT.CUSTOMER", StringComparison.Ordinal))
            .GroupBy(e => e)
            .Where(g => g.Count() > 1)
            .ToList();
        problems.AddRange(users.Select(g => $"Zendesk user {g.Key} exists {g.Count()} times"));
        var dead = jobs.Count(j => j.Value?.JobState == JobState.Dead);
        if (completedAfter is null)
        {
            problems.Insert(0, string.Create(Inv, $"not complete after {elapsed.TotalSeconds:0} s; {dead} job(s) dead"));
        }

        var early = Vendors.Select(v => RequestsBeforeRetryAfter(stats, v)).ToList();
        if (early.Any(n => n > 0))
        {
            problems.Add($"{EarlyRequestsProblem}: intercom {early[0]}, zendesk {early[1]}; latest: {stats["intercom"]?["earlyRequests"]?.ToJsonString()} {stats["zendesk"]?["earlyRequests"]?.ToJsonString()}");
        }

        return new FaultReport
        {
            Conversations = _conversations.Count,
            Parts = _conversations.Sum(c => c.Parts.Count),
            UnreachableParts = _conversations.Sum(c => c.Parts.Count(p => !p.Reachable)),
            Files = _conversations.Sum(c => c.Files.Count),
            Bytes = _conversations.Sum(c => c.Files.Sum(f => f.Size)),
            CompletedAfter = completedAfter,
            Elapsed = elapsed,
            DeadJobs = dead,
            MissingParts = missingParts,
            DuplicateParts = duplicateParts,
            MissingFiles = missingFiles,
            DuplicateFiles = duplicateFiles,
            DuplicateUsers = users.Count,
            ExtraTickets = zendesk.Values.Sum(z => Math.Max(0, z.Tickets.Count - 1)),
            IntercomRequests = stats["intercom"]!["total"]!.GetValue<long>(),
            ZendeskRequests = stats["zendesk"]!["total"]!.GetValue<long>(),
            Injected = injected,
            RequestsBeforeRetryAfter = early.Sum(),
            Problems = problems,
        };
    }

    private sealed record ExpectedPart(string Marker, bool Reachable);

    private sealed class ExpectedConversation(string id)
    {
        public string Id { get; } = id;

        public List<ExpectedPart> Parts { get; } = [];

        public List<ExpectedFile> Files { get; } = [];
    }
}

/// <summary>A file Intercom serves from a seed; <see cref="Key"/> is how it must appear in Zendesk (name, size, SHA-256).</summary>
public sealed record ExpectedFile(string Name, long Size, long Seed)
{
    public string Key { get; } = $"{Name} {Size} {AttachmentContent.Sha256(Seed, Size)}";
}

/// <summary>How big a fault run is.</summary>
public sealed record FaultScale(int Conversations, int LongThreadParts, int LongThreadGrowth, long LargestFile)
{
    private const long MB = 1024 * 1024;

    /// <summary>Issue 14's "done when": 40 conversations, 600 parts growing by 300, files up to 45 MB.</summary>
    public static FaultScale Full { get; } = new(40, 600, 300, 45 * MB);

    /// <summary>
    /// Files by conversation (the long thread, conversation 0, has none): a 0-byte file, two small
    /// ones on one reply, a few MB, and the largest.
    /// </summary>
    public IReadOnlyList<ExpectedFile> FilesFor(int conversation) => conversation switch
    {
        1 => [new("empty.txt", 0, 101)],
        2 => [new("note.txt", 1_000, 102), new("receipt.pdf", 37 * 1024, 103), new("photo.jpg", 300 * 1024, 104)],
        3 => [new("logs.zip", 3 * MB, 105)],
        4 => [new("screen-recording.mp4", 8 * MB, 106)],
        5 => [new("disk-image.bin", LargestFile, 107)],
        _ => [],
    };
}

/// <summary>What a fault run found: sizes, time to complete, requests, injected faults, and every loss or duplicate.</summary>
public sealed class FaultReport
{
    public int Conversations { get; init; }

    public int Parts { get; init; }

    /// <summary>Parts of the long thread beyond Intercom's 500 most recent: out of reach by design.</summary>
    public int UnreachableParts { get; init; }

    public int Files { get; init; }

    public long Bytes { get; init; }

    /// <summary>From the first conversation created under faults until every part and file was in Zendesk; null if never.</summary>
    public TimeSpan? CompletedAfter { get; init; }

    public TimeSpan Elapsed { get; init; }

    public int DeadJobs { get; init; }

    public int MissingParts { get; init; }

    public int DuplicateParts { get; init; }

    public int MissingFiles { get; init; }

    public int DuplicateFiles { get; init; }

    public int DuplicateUsers { get; init; }

    public int ExtraTickets { get; init; }

    public long IntercomRequests { get; init; }

    public long ZendeskRequests { get; init; }

    /// <summary>GET /admin/faults/injected: per vendor, errors, rate_limited, cut, timeouts.</summary>
    public JsonObject Injected { get; init; } = [];

    /// <summary>Null while the sandbox does not count them.</summary>
    public long RequestsBeforeRetryAfter { get; init; }

    public IReadOnlyList<string> Problems { get; init; } = [];

    public long InjectedCount(string kind) => Injected.Sum(v => v.Value?[kind]?.GetValue<long>() ?? 0);

    /// <summary>The figures, one per line, then one line per problem.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"Conversations {Conversations}, parts {Parts} ({UnreachableParts} beyond Intercom's 500 most recent), files {Files}, {Bytes / 1024.0 / 1024.0:0.0} MiB");
        text.AppendLine(CompletedAfter is { } done
            ? string.Create(inv, $"Time to complete: {done.TotalSeconds:0.0} s (run {Elapsed.TotalSeconds:0.0} s)")
            : string.Create(inv, $"Time to complete: never (gave up after {Elapsed.TotalSeconds:0.0} s)"));
        text.AppendLine(inv, $"Vendor requests: intercom {IntercomRequests}, zendesk {ZendeskRequests}; injected: 5xx {InjectedCount("errors")}, 429 {InjectedCount("rate_limited")}, cut {InjectedCount("cut")}");
        text.AppendLine(inv, $"Requests before Retry-After expired: {RequestsBeforeRetryAfter.ToString(inv)}");
        text.AppendLine(inv, $"Missing: {MissingParts} parts, {MissingFiles} files; duplicates: {DuplicateParts} parts, {DuplicateFiles} files, {ExtraTickets} tickets, {DuplicateUsers} users; dead jobs {DeadJobs}");
        const int Shown = 12;
        foreach (var problem in Problems.Take(Shown))
        {
            text.AppendLine(inv, $"  {problem}");
        }

        if (Problems.Count > Shown)
        {
            text.AppendLine(inv, $"  … and {Problems.Count - Shown} more");
        }

        return text.ToString();
    }
}
