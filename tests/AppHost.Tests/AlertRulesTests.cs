using System.Diagnostics;
using System.Text.RegularExpressions;
using Ferry.Testing;
using YamlDotNet.RepresentationModel;

namespace Ferry.AppHost.Tests;

/// <summary>
/// deploy/prometheus/ferry-rules.yaml: Prometheus accepts it (promtool, installed by eng/setup.sh), every alert
/// says how bad and what to do, and every Ferry metric it uses is an instrument the services create, under the
/// name the OpenTelemetry → Prometheus translation gives it.
/// </summary>
public sealed partial class AlertRulesTests
{
    private static readonly string RulesFile = Path.Combine(LocalServer.RepositoryRoot, "deploy", "prometheus", "ferry-rules.yaml");

    [Fact]
    public async Task Promtool_accepts_the_rules()
    {
        const string Promtool = "/usr/bin/promtool";
        Assert.True(File.Exists(Promtool), $"{Promtool} is missing: run eng/setup.sh (it installs Debian's prometheus package).");
        using var process = Process.Start(new ProcessStartInfo(Promtool, ["check", "rules", RulesFile]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken) + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, output);
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_and_a_description()
    {
        var alerts = Alerts().ToList();
        Assert.NotEmpty(alerts);
        foreach (var alert in alerts)
        {
            var name = Scalar(alert, "alert");
            Assert.True(Scalar(alert["labels"], "severity") is "warning" or "critical", $"{name}: severity must be warning or critical");
            Assert.False(string.IsNullOrWhiteSpace(Scalar(alert["annotations"], "summary")), $"{name}: no summary");
            Assert.False(string.IsNullOrWhiteSpace(Scalar(alert["annotations"], "description")), $"{name}: no description");
        }
    }

    [Fact]
    public void Every_Ferry_metric_the_rules_use_is_created_by_a_service()
    {
        var exported = ServiceInstruments().SelectMany(i => PrometheusNames(i.Kind, i.Name, i.Unit)).ToHashSet(StringComparer.Ordinal);
        var used = Alerts().SelectMany(a => FerryMetric().Matches(Scalar(a, "expr")).Select(m => (Alert: Scalar(a, "alert"), Metric: m.Value))).ToList();

        Assert.NotEmpty(used);
        Assert.All(used, u => Assert.True(exported.Contains(u.Metric),
            $"{u.Alert} uses {u.Metric}, which no service creates (Prometheus names of the services' instruments: {string.Join(", ", exported.Order(StringComparer.Ordinal))})."));
    }

    [Theory]
    [InlineData("Counter", "ferry.vendor.auth_failures", "", "ferry_vendor_auth_failures_total")]
    [InlineData("Histogram", "ferry.sync.lag", "s", "ferry_sync_lag_seconds_bucket")]
    [InlineData("ObservableGauge", "ferry.sync.queue.oldest_age", "s", "ferry_sync_queue_oldest_age_seconds")]
    [InlineData("ObservableGauge", "ferry.sync.queue.depth", "", "ferry_sync_queue_depth")]
    [InlineData("Counter", "ferry.gateway.webhooks", "{delivery}", "ferry_gateway_webhooks_total")]
    public void Instrument_names_translate_as_the_OpenTelemetry_Prometheus_exporter_does(string kind, string name, string unit, string expected) =>
        Assert.Contains(expected, PrometheusNames(kind, name, unit));

    /// <summary>Every instrument created in src/ (kind, name, unit), read from the code.</summary>
    private static IEnumerable<(string Kind, string Name, string Unit)> ServiceInstruments() =>
        Directory.EnumerateFiles(Path.Combine(LocalServer.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => InstrumentCreation().Matches(File.ReadAllText(path)))
            .Select(m => (m.Groups["kind"].Value, m.Groups["name"].Value, UnitArgument().Match(m.Groups["rest"].Value) is { Success: true } unit ? unit.Groups[1].Value : ""));

    /// <summary>OpenTelemetry's OTLP → Prometheus translation: dots to underscores, the unit as a suffix (annotations in braces dropped), _total for monotonic counters.</summary>
    private static IEnumerable<string> PrometheusNames(string kind, string name, string unit)
    {
        var suffix = unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            "1" => "_ratio",
            _ when unit.Length == 0 || unit.StartsWith('{') => "",
            _ => "_" + unit,
        };
        var baseName = name.Replace('.', '_').Replace('-', '_') + suffix;
        return kind switch
        {
            "Counter" or "ObservableCounter" => [baseName + "_total"],
            "Histogram" => [baseName + "_bucket", baseName + "_sum", baseName + "_count"],
            _ => [baseName],
        };
    }

    private static List<YamlMappingNode> Alerts()
    {
        using var reader = new StreamReader(RulesFile);
        var yaml = new YamlStream();
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        return ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())
            .Where(r => r.Children.ContainsKey("alert"))
            .ToList();
    }

    private static string Scalar(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(key, out var value) && value is YamlScalarNode scalar ? scalar.Value ?? "" : "";

    [GeneratedRegex(@"\bferry_[a-z0-9_]+\b")]
    private static partial Regex FerryMetric();

    [GeneratedRegex(@"Create(?<kind>Counter|Histogram|UpDownCounter|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)(?:<[^>]+>)?\(\s*""(?<name>[^""]+)""(?<rest>[^;]*);")]
    private static partial Regex InstrumentCreation();

    [GeneratedRegex(@"unit:\s*""([^""]*)""")]
    private static partial Regex UnitArgument();
}
