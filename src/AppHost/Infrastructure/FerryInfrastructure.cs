using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.AppHost.Infrastructure;

/// <summary>Postgres (database "ferry", one schema per owning service) and Redis, in either mode.</summary>
public sealed record FerryInfrastructure(
    InfrastructureMode Mode,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResource> DatabaseServer,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResource> RedisServer);

public static class FerryInfrastructureExtensions
{
    public const string DatabaseName = "ferry";
    public const string RedisName = "redis";

    /// <param name="sandbox">
    /// The vendors are the sandbox's, in memory and empty at every start: Ferry's records of them (contact links,
    /// tickets, ledgers, the inbox) must start empty too, or a new run's conversation 100001 meets the last run's link.
    /// Its Postgres and Redis then keep their data for the run only.
    /// </param>
    public static FerryInfrastructure AddFerryInfrastructure(this IDistributedApplicationBuilder builder, bool sandbox)
    {
        var mode = InfrastructureModeSelector.Select(
            builder.Configuration[InfrastructureModeSelector.SettingName],
            InfrastructureModeSelector.ProbeContainerRuntime);

        var postgresPassword = builder.AddGeneratedSecret("postgres-password");
        var redisPassword = builder.AddGeneratedSecret("redis-password");

        return mode == InfrastructureMode.Containers
            ? AddContainers(builder, postgresPassword, redisPassword, sandbox)
            : AddLocalProcesses(builder, postgresPassword, redisPassword, sandbox);
    }

    /// <summary>Wires a service to the database: connection string "ferry", started only once Postgres is healthy.</summary>
    public static IResourceBuilder<ProjectResource> WithDatabase(this IResourceBuilder<ProjectResource> project, FerryInfrastructure infrastructure) =>
        project.WithReference(infrastructure.Database).WaitFor(infrastructure.DatabaseServer);

    public static IResourceBuilder<ProjectResource> WithRedis(this IResourceBuilder<ProjectResource> project, FerryInfrastructure infrastructure) =>
        project.WithReference(infrastructure.Redis).WaitFor(infrastructure.RedisServer);

    /// <summary>
    /// A secret parameter. Taken from configuration (Parameters:NAME, user secrets, environment) when set;
    /// otherwise a random value for this run, which suits the sandbox and the local processes
    /// (the local Postgres script re-applies its password on every start).
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name)
    {
        var key = $"Parameters:{name}";
        if (string.IsNullOrEmpty(builder.Configuration[key]))
        {
            builder.Configuration[key] = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32);
        }

        return builder.AddParameter(name, secret: true);
    }

    /// <summary>Gives a service only the SHA-256 (hex) of a secret key, in <paramref name="variable"/>.</summary>
    public static IResourceBuilder<ProjectResource> WithKeyHash(this IResourceBuilder<ProjectResource> project, string variable, IResourceBuilder<ParameterResource> key) =>
        project.WithEnvironment(async context => context.EnvironmentVariables[variable] = Convert.ToHexStringLower(
            SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(await key.Resource.GetValueAsync(context.CancellationToken) ?? ""))));

    private static FerryInfrastructure AddContainers(
        IDistributedApplicationBuilder builder,
        IResourceBuilder<ParameterResource> postgresPassword,
        IResourceBuilder<ParameterResource> redisPassword,
        bool sandbox)
    {
        var postgres = builder.AddPostgres("postgres", password: postgresPassword);
        if (!sandbox)
        {
            postgres.WithDataVolume("ferry-postgres");
        }

        var database = postgres.AddDatabase(DatabaseName);
        var redis = builder.AddRedis(RedisName, password: redisPassword);
        return new FerryInfrastructure(InfrastructureMode.Containers, database, database, redis, redis);
    }

    private static FerryInfrastructure AddLocalProcesses(
        IDistributedApplicationBuilder builder,
        IResourceBuilder<ParameterResource> postgresPassword,
        IResourceBuilder<ParameterResource> redisPassword,
        bool sandbox)
    {
        var repoRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".."));
        var dataRoot = Path.GetFullPath(builder.Configuration["Ferry:DataDirectory"] ?? Path.Combine(repoRoot, ".ferry-data"));
        if (sandbox)
        {
            dataRoot = Path.Combine(dataRoot, "sandbox");
            if (Directory.Exists(dataRoot))
            {
                Directory.Delete(dataRoot, recursive: true);
            }
        }

        // Traversable by the `postgres` user, which runs the local server when the AppHost runs as root.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dataRoot);
        }
        else
        {
            Directory.CreateDirectory(dataRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        var postgresPort = builder.Configuration.GetValue<int?>("Ferry:PostgresPort") ?? FreeLoopbackPort();
        var redisPort = builder.Configuration.GetValue<int?>("Ferry:RedisPort") ?? FreeLoopbackPort();

        var postgresServer = AddLocalServer(builder, "postgres", "local-postgres.sh", "FERRY_PG", postgresPort, Path.Combine(dataRoot, "postgres"), postgresPassword, "postgres-ready", repoRoot);
        var database = builder.AddConnectionString(DatabaseName, ReferenceExpression.Create(
            $"Host=127.0.0.1;Port={postgresPort.ToString(System.Globalization.CultureInfo.InvariantCulture)};Username=postgres;Password={postgresPassword.Resource};Database={DatabaseName}"));

        var redisServer = AddLocalServer(builder, "redis-server", "local-redis.sh", "FERRY_REDIS", redisPort, Path.Combine(dataRoot, "redis"), redisPassword, "redis-ready", repoRoot);
        var redis = builder.AddConnectionString(RedisName, ReferenceExpression.Create(
            $"127.0.0.1:{redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture)},password={redisPassword.Resource}"));

        // The AppHost itself checks readiness, so services WaitFor a server that really answers queries.
        builder.Services.AddHealthChecks()
            .AddNpgSql(
                $"Host=127.0.0.1;Port={postgresPort};Username=postgres;Password={builder.Configuration["Parameters:postgres-password"]};Database={DatabaseName};Timeout=3",
                name: "postgres-ready")
            .AddRedis(
                $"127.0.0.1:{redisPort},password={builder.Configuration["Parameters:redis-password"]},abortConnect=false,connectTimeout=2000",
                name: "redis-ready");

        return new FerryInfrastructure(InfrastructureMode.LocalProcesses, database, postgresServer, redis, redisServer);
    }

    /// <summary>One of eng/'s local server scripts as an executable resource, healthy once <paramref name="readyCheck"/> (the AppHost's own check) passes.</summary>
    private static IResourceBuilder<ExecutableResource> AddLocalServer(
        IDistributedApplicationBuilder builder, string name, string script, string variablePrefix, int port, string data, IResourceBuilder<ParameterResource> password, string readyCheck, string repoRoot) =>
        builder.AddExecutable(name, "bash", repoRoot, Path.Combine(repoRoot, "eng", script))
            .WithEnvironment($"{variablePrefix}_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment($"{variablePrefix}_DATA", data)
            .WithEnvironment($"{variablePrefix}_PASSWORD", password)
            .WithHealthCheck(readyCheck);

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
