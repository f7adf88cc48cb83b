using System.Diagnostics;
using System.Globalization;
using Ferry.IdentityService.Api;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Net.Client;
using Npgsql;
using static Ferry.Testing.Benchmarking;

// IdentityService load run: 1,000,000 links in Postgres, resolves served from the link table
// (through gRPC, real Kestrel) against a raw primary-key SELECT baseline measured in the same run,
// then a mixed workload reporting Zendesk calls per resolve. Usage: eng/bench-identity.sh [links] [samples]
var links = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var samples = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
var inv = CultureInfo.InvariantCulture;

await using var postgres = new PostgresServer();
await postgres.InitializeAsync();
await using var redis = new RedisServer();
await redis.InitializeAsync();
// No rate limit here: the figure wanted is Zendesk calls per resolve, not 429 waits.
await using var sandbox = await SandboxServer.CreateAsync(new Dictionary<string, string?> { ["Sandbox:Zendesk:RateLimitPerMinute"] = "10000000" });
var database = await postgres.CreateDatabaseAsync("bench");

var grpcPort = FreePort();
var settings = ServiceSettings(database, redis.ConnectionString, grpcPort, sandbox);
await using var app = new ServiceHost<IdentityApi>(settings).Start();

Console.WriteLine($"Seeding {links:N0} links …");
var seed = Stopwatch.StartNew();
await using (var connection = new NpgsqlConnection(database))
{
    await connection.OpenAsync();
    await using (var import = await connection.BeginBinaryImportAsync(
        "COPY identity.contact_links (intercom_contact_id, zendesk_user_id, match_method, emails_seen, external_id) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < links; i++)
        {
            await import.StartRowAsync();
            await import.WriteAsync(ContactId(i));
            await import.WriteAsync(10_000_000L + i);
            await import.WriteAsync(i % 3 == 0 ? "created" : "primary_email");
            await import.WriteAsync(new[] { Email(i) });
            await import.WriteAsync($"cust-{i}");
        }

        await import.CompleteAsync();
    }

    await using var analyze = new NpgsqlCommand("ANALYZE identity.contact_links", connection);
    await analyze.ExecuteNonQueryAsync();
}

Console.WriteLine($"Seeded in {seed.Elapsed.TotalSeconds:0.0} s");

using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
var client = new Identity.IdentityClient(channel);
var random = new Random(42);

// Baseline: the same primary-key lookup with raw Npgsql (what the link table costs at the least).
await using var dataSource = NpgsqlDataSource.Create(database);
async Task RawLookup(int i)
{
    await using var command = dataSource.CreateCommand("SELECT zendesk_user_id, emails_seen, verified_at FROM identity.contact_links WHERE intercom_contact_id = $1");
    command.Parameters.Add(new NpgsqlParameter { Value = ContactId(i) });
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
}

async Task GrpcResolve(int i)
{
    var reply = await client.ResolveRequesterAsync(new ResolveRequesterRequest
    {
        Contact = new Contact { IntercomContactId = ContactId(i), Role = "user", Name = "Bench", Email = Email(i), ExternalId = $"cust-{i}" },
    });
    if (reply.Method != MatchMethod.ExistingLink || reply.ZendeskCalls != 0)
    {
        throw new InvalidOperationException($"Expected a link-table hit, got {reply.Method} with {reply.ZendeskCalls} Zendesk calls.");
    }
}

for (var i = 0; i < 2_000; i++)
{
    await RawLookup(random.Next(links));
    await GrpcResolve(random.Next(links));
}

var raw = await Measure(RawLookup);
var resolve = await Measure(GrpcResolve);

Console.WriteLine();
Console.WriteLine($"Link-table resolves, {samples:N0} sequential samples over {links:N0} links (ms):");
Console.WriteLine("| measurement | p50 | p90 | p99 | p99.9 | max |");
Console.WriteLine("|---|---|---|---|---|---|");
Row("raw Npgsql PK SELECT (baseline)", raw);
Row("ResolveRequester via gRPC (link hit)", resolve);
Console.WriteLine($"ratio p99 resolve / baseline: {Percentile(resolve, 0.99) / Percentile(raw, 0.99):0.0}x; target p99 < 2 ms: {(Percentile(resolve, 0.99) < 2 ? "MET" : "NOT MET")}");

// Mixed workload: 70% linked, 10% primary email in Zendesk, 5% secondary identity, 5% external_id, 10% brand new.
var mixed = new List<(string Kind, Contact Contact)>();
for (var i = 0; i < 1_000; i++)
{
    var roll = random.Next(100);
    var id = $"mixed-{i}";
    var email = $"mixed-{i}-{Guid.NewGuid():N}@bench.example";
    Contact contact;
    string kind;
    if (roll < 70)
    {
        var n = random.Next(links);
        (kind, contact) = ("linked", new Contact { IntercomContactId = ContactId(n), Email = Email(n), ExternalId = $"cust-{n}", Name = "Bench" });
    }
    else if (roll < 80)
    {
        sandbox.Zendesk.AddUser("Primary", email);
        (kind, contact) = ("primary email", new Contact { IntercomContactId = id, Email = email, Name = "Bench" });
    }
    else if (roll < 85)
    {
        sandbox.Zendesk.AddUser("Secondary", $"main-{email}", secondaryEmails: [email]);
        (kind, contact) = ("secondary email", new Contact { IntercomContactId = id, Email = email, Name = "Bench" });
    }
    else if (roll < 90)
    {
        sandbox.Zendesk.AddUser("External", null, externalId: $"ext-{id}");
        (kind, contact) = ("external_id", new Contact { IntercomContactId = id, Email = email, ExternalId = $"ext-{id}", Name = "Bench" });
    }
    else
    {
        (kind, contact) = ("new", new Contact { IntercomContactId = id, Email = email, ExternalId = $"ext-{id}", Name = "Bench", OtherEmails = { $"alt-{email}" } });
    }

    mixed.Add((kind, contact));
}

var calls = new List<(string Kind, MatchMethod Method, int Calls)>();
foreach (var (kind, contact) in mixed)
{
    var reply = await client.ResolveRequesterAsync(new ResolveRequesterRequest { Contact = contact });
    calls.Add((kind, reply.Method, reply.ZendeskCalls));
}

Console.WriteLine();
Console.WriteLine($"Mixed workload, {mixed.Count:N0} resolves: Zendesk calls per resolve");
Console.WriteLine("| contact kind | share | method | mean calls | max calls |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var group in calls.GroupBy(c => c.Kind).OrderByDescending(g => g.Count()))
{
    Console.WriteLine(string.Create(inv, $"| {group.Key} | {100.0 * group.Count() / calls.Count:0}% | {string.Join(", ", group.Select(g => g.Method).Distinct())} | {group.Average(g => g.Calls):0.00} | {group.Max(g => g.Calls)} |"));
}

Console.WriteLine(string.Create(inv, $"| all | 100% | | {calls.Average(c => c.Calls):0.00} | {calls.Max(c => c.Calls)} |"));
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");


async Task<double[]> Measure(Func<int, Task> operation)
{
    var result = new double[samples];
    for (var i = 0; i < samples; i++)
    {
        var n = random.Next(links);
        var start = Stopwatch.GetTimestamp();
        await operation(n);
        result[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    Array.Sort(result);
    return result;
}

void Row(string name, double[] sorted) =>
    Console.WriteLine(string.Create(inv, $"| {name} | {Percentile(sorted, 0.5):0.000} | {Percentile(sorted, 0.9):0.000} | {Percentile(sorted, 0.99):0.000} | {Percentile(sorted, 0.999):0.000} | {sorted[^1]:0.000} |"));

static string ContactId(int i) => $"bench-{i:D7}";

static string Email(int i) => $"bench-{i}@bench.example";

