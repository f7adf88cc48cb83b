using System.Diagnostics;
using System.Globalization;
using Grpc.Core;

namespace Ferry.Testing;

/// <summary>What every benchmark under benchmarks/ needs: ports, settings, percentiles and the machine's load.</summary>
public static class Benchmarking
{
    public static int FreePort() => LocalServer.FreeLoopbackPort();

    /// <summary>Nearest-rank percentile of an ascending sample.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>
    /// Open loop at a fixed rate, as vendors send webhooks: call i starts at i/<paramref name="perSecond"/> s whether or
    /// not earlier ones finished. Returns each call's latency in ms (in call order) and how many failed (false, or an
    /// RpcException / HttpRequestException).
    /// </summary>
    public static async Task<(double[] Latencies, int Failures)> RunAtRateAsync(int perSecond, int total, Func<int, Task<bool>> call)
    {
        var latencies = new double[total];
        var failures = 0;
        var clock = Stopwatch.StartNew();
        var calls = new Task[total];
        for (var i = 0; i < total; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / perSecond) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var index = i;
            calls[i] = Task.Run(async () =>
            {
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await call(index);
                }
                catch (Exception ex) when (ex is RpcException or HttpRequestException)
                {
                    ok = false;
                }

                if (!ok)
                {
                    Interlocked.Increment(ref failures);
                }

                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            });
        }

        await Task.WhenAll(calls);
        return (latencies, failures);
    }

    public static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>The 1, 5 and 15 minute load averages (benchmarks on a shared machine should say what else ran).</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>
    /// After a warm-up, unless BENCH_ANALYZE=0: ANALYZE the benchmark's database, as autovacuum does within its first
    /// minute (autovacuum_naptime). A benchmark's database is created empty seconds before it measures, and the services'
    /// prepared statements keep the plans made while their tables were empty (sequential scans of the inbox, claimed per
    /// delivery) until the first ANALYZE replans them; a database that has been up a minute is past that.
    /// </summary>
    public static async Task AnalyzeAfterWarmUpAsync(string connectionString)
    {
        if (Environment.GetEnvironmentVariable("BENCH_ANALYZE") == "0")
        {
            return;
        }

        await using var db = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var analyze = db.CreateCommand("ANALYZE");
        await analyze.ExecuteNonQueryAsync();
    }

    /// <summary>Configuration of a Ferry service hosted by a benchmark: Postgres, Redis, both Kestrel endpoints on loopback, the sandbox as vendors.</summary>
    public static Dictionary<string, string?> ServiceSettings(string database, string redis, int grpcPort, SandboxServer sandbox)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ferry"] = database,
            ["ConnectionStrings:redis"] = redis,
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{FreePort()}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Polly"] = "Error",
        };
        foreach (var (key, value) in sandbox.VendorSettings)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Prints a Markdown table (the form docs/BENCHMARKS.md quotes).</summary>
    public static void WriteTable(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        Console.WriteLine($"| {string.Join(" | ", columns)} |");
        Console.WriteLine($"|{string.Concat(Enumerable.Repeat("---|", columns.Count))}");
        foreach (var row in rows)
        {
            Console.WriteLine($"| {string.Join(" | ", row)} |");
        }
    }

    /// <summary>Settings as command-line arguments (--Key=value) for a service hosted in-process.</summary>
    public static string[] CommandLine(IReadOnlyDictionary<string, string?> settings) => [.. settings.Select(s => $"--{s.Key}={s.Value}")];
}
