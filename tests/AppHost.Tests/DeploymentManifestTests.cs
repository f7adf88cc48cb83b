using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Testing;
using YamlDotNet.RepresentationModel;

namespace Ferry.AppHost.Tests;

/// <summary>
/// deploy/kubernetes: the invariants that keep the manifests in step with the services' code and settings
/// (ports, configuration keys, secrets, probes, security). Plain file checks, no cluster and no network;
/// the rendering check uses `kubectl kustomize` when kubectl is installed.
/// </summary>
public sealed partial class DeploymentManifestTests
{
    private const string SecretTemplate = "secret.example.yaml";

    private static readonly string KubernetesDirectory = Path.Combine(LocalServer.RepositoryRoot, "deploy", "kubernetes");
    private static readonly string BaseDirectory = Path.Combine(KubernetesDirectory, "base");

    /// <summary>Deployment (and Service, and service-discovery) name → project folder under src/.</summary>
    private static readonly Dictionary<string, string> Projects = new()
    {
        ["gateway"] = "Gateway",
        ["tickets"] = "TicketService",
        ["identity"] = "IdentityService",
        ["attachments"] = "AttachmentService",
    };

    [Fact]
    public void Every_kustomization_lists_every_manifest_in_its_folder_and_never_the_secret_template()
    {
        var kustomizations = Directory.GetFiles(KubernetesDirectory, "kustomization.yaml", SearchOption.AllDirectories);
        Assert.Contains(Path.Combine(BaseDirectory, "kustomization.yaml"), kustomizations);
        Assert.Contains(Path.Combine(KubernetesDirectory, "overlays", "production", "kustomization.yaml"), kustomizations);

        foreach (var kustomization in kustomizations)
        {
            var folder = Path.GetDirectoryName(kustomization)!;
            var root = Documents(kustomization).Single();
            var listed = Strings(root, "resources")
                .Concat(Items(root, "patches").Select(patch => Scalar(patch, "path")).OfType<string>())
                .ToList();
            foreach (var entry in listed)
            {
                var path = Path.GetFullPath(Path.Combine(folder, entry));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{kustomization} lists {entry}, which does not exist.");
                Assert.NotEqual(SecretTemplate, Path.GetFileName(path));
            }

            var files = Directory.GetFiles(folder, "*.yaml")
                .Select(path => Path.GetFileName(path))
                .Where(name => name is not "kustomization.yaml" and not SecretTemplate)
                .Order(StringComparer.Ordinal)
                .ToList();
            var listedFiles = listed.Where(entry => !entry.Contains('/', StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(files, listedFiles);
        }
    }

    [Fact]
    public void The_base_deploys_exactly_the_four_services_with_probes_resources_and_a_locked_down_security_context()
    {
        var deployments = BaseResources("Deployment").ToList();
        Assert.Equal(Projects.Keys.Order(StringComparer.Ordinal), deployments.Select(Name).Order(StringComparer.Ordinal));

        foreach (var deployment in deployments)
        {
            var name = Name(deployment);
            var pod = Map(deployment, "spec", "template", "spec");
            var container = Assert.Single(Items(pod, "containers"));
            Assert.Equal($"ferry/{name}", Scalar(container, "image"));

            Assert.Equal("/health", Scalar(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal("http", Scalar(container, "readinessProbe", "httpGet", "port"));
            Assert.Equal("/alive", Scalar(container, "livenessProbe", "httpGet", "path"));
            Assert.Equal("http", Scalar(container, "livenessProbe", "httpGet", "port"));
            // Migrations run before the service listens (waiting on the advisory lock when another replica migrates).
            Assert.Equal("/alive", Scalar(container, "startupProbe", "httpGet", "path"));
            var startupBudget = int.Parse(Scalar(container, "startupProbe", "periodSeconds")!, CultureInfo.InvariantCulture)
                * int.Parse(Scalar(container, "startupProbe", "failureThreshold")!, CultureInfo.InvariantCulture);
            Assert.True(startupBudget >= 120, $"{name}: the startup probe allows only {startupBudget} s for start-up and migrations.");

            foreach (var kind in new[] { "requests", "limits" })
            {
                Assert.NotNull(Scalar(container, "resources", kind, "cpu"));
                Assert.NotNull(Scalar(container, "resources", kind, "memory"));
            }

            Assert.Equal("true", Scalar(pod, "securityContext", "runAsNonRoot"));
            Assert.Equal("RuntimeDefault", Scalar(pod, "securityContext", "seccompProfile", "type"));
            Assert.Equal("false", Scalar(pod, "automountServiceAccountToken"));
            Assert.Equal("false", Scalar(container, "securityContext", "allowPrivilegeEscalation"));
            Assert.Equal("true", Scalar(container, "securityContext", "readOnlyRootFilesystem"));
            Assert.Equal("ALL", Assert.Single(Strings(Map(container, "securityContext", "capabilities"), "drop")));

            var tmp = Assert.Single(Items(container, "volumeMounts"), mount => Scalar(mount, "mountPath") == "/tmp");
            var volume = Assert.Single(Items(pod, "volumes"), v => Scalar(v, "name") == Scalar(tmp, "name"));
            Assert.NotNull(Map(volume, "emptyDir"));

            Assert.Equal("ferry-config", Scalar(Assert.Single(Items(container, "envFrom"), e => e.Children.ContainsKey("configMapRef")), "configMapRef", "name"));
            Assert.Equal(name, EnvValue(container, "OTEL_SERVICE_NAME"));
        }
    }

    [Fact]
    public void Container_and_service_ports_are_the_ports_of_each_services_appsettings()
    {
        foreach (var (name, project) in Projects)
        {
            var container = Container(name);
            var service = Assert.Single(BaseResources("Service"), s => Name(s) == name);
            foreach (var endpoint in new[] { "http", "grpc" })
            {
                var port = AppSettingsPort(project, endpoint);
                var containerPort = Assert.Single(Items(container, "ports"), p => Scalar(p, "name") == endpoint);
                Assert.Equal(port.ToString(CultureInfo.InvariantCulture), Scalar(containerPort, "containerPort"));
                // appsettings.json binds to localhost; the pod must listen on every address, same port.
                Assert.Equal($"http://+:{port}", EnvValue(container, $"Kestrel__Endpoints__{endpoint}__Url"));

                var servicePort = Assert.Single(Items(Map(service, "spec"), "ports"), p => Scalar(p, "name") == endpoint);
                Assert.Equal(port.ToString(CultureInfo.InvariantCulture), Scalar(servicePort, "port"));
                Assert.Equal(endpoint, Scalar(servicePort, "targetPort"));
                Assert.Equal(endpoint == "grpc" ? "kubernetes.io/h2c" : "http", Scalar(servicePort, "appProtocol"));
            }

            Assert.Equal("Http1", AppSettings(project).GetProperty("Kestrel").GetProperty("Endpoints").GetProperty("http").GetProperty("Protocols").GetString());
            Assert.Equal("Http2", AppSettings(project).GetProperty("Kestrel").GetProperty("Endpoints").GetProperty("grpc").GetProperty("Protocols").GetString());
        }
    }

    [Fact]
    public void Service_discovery_names_every_grpc_service_a_service_calls_at_its_kubernetes_service()
    {
        foreach (var (name, project) in Projects)
        {
            var source = ProjectSource(project) + File.ReadAllText(Path.Combine(LocalServer.RepositoryRoot, "src", project, "appsettings.json"));
            var called = GrpcClientTarget().Matches(source).Select(m => m.Groups["name"].Value)
                .Concat(DiscoveryAddress().Matches(source).Select(m => m.Groups["name"].Value))
                .ToHashSet(StringComparer.Ordinal);

            var configured = EnvNames(Container(name))
                .Select(env => DiscoveryEnv().Match(env))
                .Where(m => m.Success)
                .ToDictionary(m => m.Groups["name"].Value, m => EnvValue(Container(name), m.Value), StringComparer.Ordinal);

            Assert.Equal(called.Order(StringComparer.Ordinal), configured.Keys.Order(StringComparer.Ordinal));
            foreach (var (target, address) in configured)
            {
                Assert.True(Projects.ContainsKey(target), $"{name} calls {target}, which is not deployed.");
                Assert.Equal($"http://{target}:{AppSettingsPort(Projects[target], "grpc")}", address);
            }
        }
    }

    [Fact]
    public void Every_secret_reference_exists_in_the_secret_template_and_every_template_key_is_used()
    {
        var template = Documents(Path.Combine(KubernetesDirectory, SecretTemplate)).ToList();
        Assert.All(template, secret => Assert.Equal("Secret", Scalar(secret, "kind")));
        var secrets = template.ToDictionary(Name, secret => Map(secret, "stringData").Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet(StringComparer.Ordinal));

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Projects.Keys)
        {
            var container = Container(name);
            foreach (var env in Items(container, "env").Where(e => e.Children.ContainsKey("valueFrom")))
            {
                var secretName = Scalar(env, "valueFrom", "secretKeyRef", "name")!;
                var key = Scalar(env, "valueFrom", "secretKeyRef", "key")!;
                Assert.True(secrets.TryGetValue(secretName, out var keys) && keys.Contains(key), $"{name} reads {secretName}/{key}, missing from {SecretTemplate}.");
                Assert.Equal(key, Scalar(env, "name"));
                used.Add($"{secretName}/{key}");
            }

            foreach (var secretRef in Items(container, "envFrom").Where(e => e.Children.ContainsKey("secretRef")))
            {
                var secretName = Scalar(secretRef, "secretRef", "name")!;
                Assert.True(secrets.TryGetValue(secretName, out var keys), $"{name} loads Secret {secretName}, missing from {SecretTemplate}.");
                used.UnionWith(keys.Select(key => $"{secretName}/{key}"));
            }
        }

        Assert.Equal(secrets.SelectMany(s => s.Value.Select(key => $"{s.Key}/{key}")).Order(StringComparer.Ordinal), used.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_configuration_key_in_the_manifests_is_one_the_services_read()
    {
        var keys = new List<(string Key, string? Project)>();
        foreach (var (name, project) in Projects)
        {
            keys.AddRange(EnvNames(Container(name)).Select(key => (key, (string?)project)));
        }

        foreach (var kustomization in Directory.GetFiles(KubernetesDirectory, "kustomization.yaml", SearchOption.AllDirectories))
        {
            foreach (var generator in Items(Documents(kustomization).Single(), "configMapGenerator"))
            {
                keys.AddRange(Strings(generator, "literals").Select(literal => (literal[..literal.IndexOf('=', StringComparison.Ordinal)], (string?)null)));
            }
        }

        foreach (var secret in Documents(Path.Combine(KubernetesDirectory, SecretTemplate)))
        {
            keys.AddRange(Map(secret, "stringData").Children.Keys.Select(k => (((YamlScalarNode)k).Value!, (string?)null)));
        }

        string[] telemetry = ["OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL"];
        foreach (var (key, project) in keys.Distinct())
        {
            var parts = key.Split("__");
            var source = project is null ? AllServiceSource() : ProjectSource(project);
            var known = parts[0] switch
            {
                _ when key.StartsWith("OTEL_", StringComparison.Ordinal) => telemetry.Contains(key),
                _ when parts.Length < 2 => false,
                "Kestrel" or "services" => true, // checked against appsettings and the gRPC clients above
                "ConnectionStrings" => parts.Length == 2 && ConnectionName(parts[1]).IsMatch(source),
                "Gateway" when parts.Length == 3 && parts[1] == "ApiKeys" => ProjectSource("Gateway").Contains("Section = \"Gateway:ApiKeys\"", StringComparison.Ordinal),
                "Operator" when parts.Length == 3 && parts[1] == "Keys" => ProjectSource("Gateway").Contains("KeysSection = \"Operator:Keys\"", StringComparison.Ordinal),
                _ => OptionsProperty(source, parts),
            };
            Assert.True(known, $"{key}{(project is null ? "" : $" ({project})")} is not a configuration key the code reads.");
        }
    }

    [Theory]
    [InlineData("ferry", "allow-postgres")]
    [InlineData("redis", "allow-redis")]
    public void Exactly_the_services_that_read_a_connection_string_get_it_and_may_reach_its_server(string connection, string policyName)
    {
        var policy = Assert.Single(BaseResources("NetworkPolicy"), p => Name(p) == policyName);
        var allowed = Strings(Assert.Single(Items(Map(policy, "spec", "podSelector"), "matchExpressions")), "values");
        foreach (var (name, project) in Projects)
        {
            var reads = ConnectionName(connection).IsMatch(ProjectSource(project));
            Assert.True(reads == EnvNames(Container(name)).Contains($"ConnectionStrings__{connection}"), $"{name}: reads {connection}: {reads}, but its manifest disagrees.");
            Assert.True(reads == allowed.Contains(name), $"{name}: reads {connection}: {reads}, but NetworkPolicy {policyName} disagrees.");
        }
    }

    [Fact]
    public void Only_the_gateway_is_reachable_from_outside_and_every_grpc_port_admits_only_its_callers()
    {
        var policies = BaseResources("NetworkPolicy").ToList();
        Assert.Contains(policies, p => Name(p) == "default-deny" && Map(p, "spec", "podSelector").Children.Count == 0);

        var callers = new Dictionary<string, string[]>
        {
            ["tickets"] = ["gateway"],
            ["identity"] = ["gateway", "tickets"],   // the gateway's status page lists identity conflicts
            ["attachments"] = ["tickets"],
        };
        foreach (var policy in policies)
        {
            foreach (var rule in Items(Map(policy, "spec"), "ingress"))
            {
                var external = Items(rule, "from").Any(peer => peer.Children.ContainsKey("namespaceSelector") || peer.Children.ContainsKey("ipBlock"));
                Assert.True(!external || Scalar(policy, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name") == "gateway",
                    $"NetworkPolicy {Name(policy)} admits traffic from outside the namespace to a pod other than the gateway.");
            }
        }

        foreach (var (service, allowed) in callers)
        {
            var policy = Assert.Single(policies, p => Scalar(p, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name") == service);
            var rule = Assert.Single(Items(Map(policy, "spec"), "ingress"));
            Assert.Equal(allowed, Items(rule, "from").Select(peer => Scalar(peer, "podSelector", "matchLabels", "app.kubernetes.io/name")).Order(StringComparer.Ordinal));
            Assert.Equal(AppSettingsPort(Projects[service], "grpc").ToString(CultureInfo.InvariantCulture), Scalar(Assert.Single(Items(rule, "ports")), "port"));
        }
    }

    [Fact]
    public void The_webhook_ingress_limits_bodies_exactly_as_the_gateway_does()
    {
        var ingresses = BaseResources("Ingress").ToList();
        var webhooks = Assert.Single(ingresses, i => Name(i) == "gateway-webhooks");
        var limit = Scalar(webhooks, "metadata", "annotations", "nginx.ingress.kubernetes.io/proxy-body-size")!;
        var bytes = NginxSize(limit);
        var gatewayLimit = AppSettings("Gateway").GetProperty("Gateway").GetProperty("Webhooks").GetProperty("MaxBodyBytes").GetInt64();
        Assert.Equal(gatewayLimit, bytes);

        var webhookPath = Assert.Single(Items(Assert.Single(Items(Map(webhooks, "spec"), "rules")), "http", "paths"));
        Assert.Equal("/webhooks", Scalar(webhookPath, "path"));
        Assert.Equal("http", Scalar(webhookPath, "backend", "service", "port", "name"));

        var grpc = Assert.Single(ingresses, i => Name(i) == "gateway-grpc");
        Assert.Equal("GRPC", Scalar(grpc, "metadata", "annotations", "nginx.ingress.kubernetes.io/backend-protocol"));
        Assert.Equal("grpc", Scalar(Assert.Single(Items(Assert.Single(Items(Map(grpc, "spec"), "rules")), "http", "paths")), "backend", "service", "port", "name"));
        Assert.All(ingresses, ingress => Assert.NotEmpty(Items(Map(ingress, "spec"), "tls")));
    }

    [Fact]
    public void Every_multi_replica_deployment_has_a_disruption_budget()
    {
        var budgets = BaseResources("PodDisruptionBudget").ToList();
        var overlay = Documents(Path.Combine(KubernetesDirectory, "overlays", "production", "kustomization.yaml")).Single();
        var overlayReplicas = Items(overlay, "replicas").ToDictionary(r => Scalar(r, "name")!, r => int.Parse(Scalar(r, "count")!, CultureInfo.InvariantCulture));
        Assert.True(overlayReplicas["tickets"] >= 2, "tickets runs at least two replicas in production (they share the queue).");

        foreach (var deployment in BaseResources("Deployment"))
        {
            var name = Name(deployment);
            var replicas = Math.Max(int.Parse(Scalar(deployment, "spec", "replicas")!, CultureInfo.InvariantCulture), overlayReplicas.GetValueOrDefault(name));
            if (replicas > 1)
            {
                Assert.Contains(budgets, b => Scalar(b, "spec", "selector", "matchLabels", "app.kubernetes.io/name") == name);
            }
        }
    }

    [Fact]
    public async Task Kustomize_renders_the_base_and_the_production_overlay()
    {
        var kubectl = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "kubectl"))
            .FirstOrDefault(File.Exists);
        if (kubectl is null)
        {
            Assert.Skip("kubectl is not installed; the static checks above still ran.");
        }

        var rendered = await KustomizeAsync(kubectl, BaseDirectory);
        Assert.Equal(4, rendered.Count(d => Scalar(d, "kind") == "Deployment"));
        Assert.DoesNotContain(rendered, d => Scalar(d, "kind") == "Secret");

        var production = await KustomizeAsync(kubectl, Path.Combine(KubernetesDirectory, "overlays", "production"));
        var config = Assert.Single(production, d => Scalar(d, "kind") == "ConfigMap");
        Assert.StartsWith("https://", Scalar(config, "data", "Zendesk__BaseUrl"), StringComparison.Ordinal);
        Assert.DoesNotContain("SUBDOMAIN", Scalar(config, "data", "Zendesk__BaseUrl"), StringComparison.Ordinal);
        foreach (var deployment in production.Where(d => Scalar(d, "kind") == "Deployment"))
        {
            Assert.Equal("ferry", Scalar(deployment, "metadata", "namespace"));
            var container = Assert.Single(Items(Map(deployment, "spec", "template", "spec"), "containers"));
            Assert.Matches(@"^[\w.-]+(:\d+)?/ferry/[a-z]+:[\w.-]+$", Scalar(container, "image"));
            // The generated ConfigMap's hashed name is what the pods load.
            Assert.Contains(Items(container, "envFrom"), e => Scalar(e, "configMapRef", "name") == Name(config));
        }
    }

    private static async Task<List<YamlMappingNode>> KustomizeAsync(string kubectl, string directory)
    {
        var start = new ProcessStartInfo(kubectl, ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {directory} failed: {await error}");
        return Parse(await output);
    }

    // ---- manifests ----

    private static IEnumerable<YamlMappingNode> BaseResources(string kind) =>
        Directory.GetFiles(BaseDirectory, "*.yaml")
            .Where(path => Path.GetFileName(path) != "kustomization.yaml")
            .SelectMany(Documents)
            .Where(document => Scalar(document, "kind") == kind);

    private static YamlMappingNode Container(string deployment) =>
        Items(Map(Assert.Single(BaseResources("Deployment"), d => Name(d) == deployment), "spec", "template", "spec"), "containers").Single();

    private static IEnumerable<string> EnvNames(YamlMappingNode container) => Items(container, "env").Select(env => Scalar(env, "name")!);

    private static string? EnvValue(YamlMappingNode container, string name) =>
        Scalar(Assert.Single(Items(container, "env"), env => Scalar(env, "name") == name), "value");

    private static List<YamlMappingNode> Documents(string path) => Parse(File.ReadAllText(path));

    private static List<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static string Name(YamlMappingNode resource) => Scalar(resource, "metadata", "name")!;

    private static YamlMappingNode Map(YamlMappingNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = (YamlMappingNode)node.Children[new YamlScalarNode(key)];
        }

        return node;
    }

    private static string? Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }

            current = child;
        }

        return (current as YamlScalarNode)?.Value;
    }

    private static IEnumerable<YamlMappingNode> Items(YamlMappingNode node, params string[] path)
    {
        var parent = path.Length > 1 ? Map(node, path[..^1]) : node;
        return parent.Children.TryGetValue(new YamlScalarNode(path[^1]), out var items) && items is YamlSequenceNode sequence
            ? sequence.Children.OfType<YamlMappingNode>()
            : [];
    }

    private static List<string> Strings(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var items) && items is YamlSequenceNode sequence
            ? [.. sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value!)]
            : [];

    /// <summary>nginx sizes: bytes, or k/m/g suffixes (binary multiples).</summary>
    private static long NginxSize(string value) => char.ToLowerInvariant(value[^1]) switch
    {
        'k' => long.Parse(value[..^1], CultureInfo.InvariantCulture) * 1024,
        'm' => long.Parse(value[..^1], CultureInfo.InvariantCulture) * 1024 * 1024,
        'g' => long.Parse(value[..^1], CultureInfo.InvariantCulture) * 1024 * 1024 * 1024,
        _ => long.Parse(value, CultureInfo.InvariantCulture),
    };

    // ---- the services' own settings and code ----

    private static JsonElement AppSettings(string project) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(LocalServer.RepositoryRoot, "src", project, "appsettings.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement;

    private static int AppSettingsPort(string project, string endpoint) =>
        new Uri(AppSettings(project).GetProperty("Kestrel").GetProperty("Endpoints").GetProperty(endpoint).GetProperty("Url").GetString()!).Port;

    /// <summary>The project's C# source plus ServiceDefaults (shared options such as Intercom and Zendesk).</summary>
    private static string ProjectSource(string project) =>
        string.Join('\n', new[] { project, "ServiceDefaults" }
            .SelectMany(p => Directory.GetFiles(Path.Combine(LocalServer.RepositoryRoot, "src", p), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));

    private static string AllServiceSource() => string.Join('\n', Projects.Values.Select(ProjectSource));

    /// <summary>
    /// A key "Section__Property" (or "A__B__Property" for section "A:B") names a property of the options class
    /// declaring <c>const string Section = "…"</c>, looked for between that declaration and the next class.
    /// </summary>
    private static bool OptionsProperty(string source, string[] parts)
    {
        var declaration = $"const string Section = \"{string.Join(':', parts[..^1])}\";";
        for (var at = source.IndexOf(declaration, StringComparison.Ordinal); at >= 0; at = source.IndexOf(declaration, at + 1, StringComparison.Ordinal))
        {
            var end = source.IndexOf(" class ", at, StringComparison.Ordinal);
            var body = end < 0 ? source[at..] : source[at..end];
            if (Regex.IsMatch(body, $@"public [\w<>\[\]?,. ]+ {Regex.Escape(parts[^1])} \{{ get;"))
            {
                return true;
            }
        }

        return false;
    }

    private static Regex ConnectionName(string name) => new($@"Add(NpgsqlDataSource|FerryDatabase|RedisClient)\(""{Regex.Escape(name)}""");

    [GeneratedRegex(@"AddGrpcServiceClient<[\w.]+>\(""(?<name>[a-z]+)""\)")]
    private static partial Regex GrpcClientTarget();

    [GeneratedRegex(@"http://_grpc\.(?<name>[a-z]+)")]
    private static partial Regex DiscoveryAddress();

    [GeneratedRegex(@"^services__(?<name>[a-z]+)__grpc__0$")]
    private static partial Regex DiscoveryEnv();
}
