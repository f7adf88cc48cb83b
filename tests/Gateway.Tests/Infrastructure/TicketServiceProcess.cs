using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Ferry.Testing;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// The real TicketService (its built Ferry.TicketService.dll, as deployed) in its own process on a given
/// loopback port, with a test database and Redis. Vendors point at a closed port: jobs are queued and
/// recorded, their sync attempts simply fail, which is all the gateway tests need.
/// </summary>
public sealed class TicketServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private TicketServiceProcess(Process process, Uri grpcAddress)
    {
        _process = process;
        GrpcAddress = grpcAddress;
    }

    public Uri GrpcAddress { get; }

    public ConcurrentQueue<string?> Output { get; } = new();

    public static async Task<TicketServiceProcess> StartAsync(int grpcPort, string databaseConnectionString, string redisConnectionString)
    {
        var dll = Path.Combine(LocalServer.RepositoryRoot, "src", "TicketService", "bin", BuildConfiguration, "net10.0", "Ferry.TicketService.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: build src/TicketService ({BuildConfiguration}) first.");
        }

        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var grpc = new Uri($"http://127.0.0.1:{grpcPort.ToString(CultureInfo.InvariantCulture)}");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{GatewayHost.FreePort().ToString(CultureInfo.InvariantCulture)}";
        start.Environment["Kestrel__Endpoints__grpc__Url"] = grpc.ToString();
        start.Environment["ConnectionStrings__ferry"] = databaseConnectionString;
        start.Environment["ConnectionStrings__redis"] = redisConnectionString;
        start.Environment["Intercom__BaseUrl"] = "http://127.0.0.1:9/intercom/";
        start.Environment["Intercom__AccessToken"] = "unused";
        start.Environment["Zendesk__BaseUrl"] = "http://127.0.0.1:9/zendesk/";
        start.Environment["Zendesk__ApiToken"] = "unused";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start TicketService.");
        var service = new TicketServiceProcess(process, grpc);
        process.OutputDataReceived += (_, e) => service.Output.Enqueue(e.Data);
        process.ErrorDataReceived += (_, e) => service.Output.Enqueue(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var channel = GrpcChannel.ForAddress(grpc);
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"TicketService exited with {process.ExitCode}: {string.Join('\n', service.Output)}");
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return service;
                }
            }
            catch (global::Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Debug or Release, whichever this test assembly was built as.</summary>
    private static string BuildConfiguration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
