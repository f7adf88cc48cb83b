using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ferry.Testing;

/// <summary>
/// A Ferry service's built dll (src/{service}/bin/…) in a process of its own, as in production, configured
/// through environment variables. Keeps the last lines of its output for the error when it dies early.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Process _process;

    private ServiceProcess(Process process, Uri? grpcAddress)
    {
        _process = process;
        GrpcAddress = grpcAddress;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The service's gRPC endpoint, when the settings name one (Kestrel:Endpoints:grpc:Url).</summary>
    public Uri? GrpcAddress { get; }

    /// <summary>
    /// Starts src/{service}'s dll in the caller's build configuration (Release for benchmarks), or the one
    /// <c>dotnet publish</c> wrote to <paramref name="publishedDirectory"/>.
    /// </summary>
    public static ServiceProcess Start(string service, IReadOnlyDictionary<string, string?> settings, string? publishedDirectory = null)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(publishedDirectory ?? Path.Combine(LocalServer.RepositoryRoot, "src", service, "bin", configuration, "net10.0"), $"Ferry.{service}.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var grpc = settings.GetValueOrDefault("Kestrel:Endpoints:grpc:Url") is { } url ? new Uri(url) : null;
        return new ServiceProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {service}."), grpc);
    }

    /// <summary>Calls <paramref name="probe"/> until it stops throwing <typeparamref name="TNotReady"/> (e.g. an RpcException while the port is closed).</summary>
    public Task WaitUntilReadyAsync<TNotReady>(Func<Task> probe, TimeSpan timeout)
        where TNotReady : Exception =>
        LocalServer.WaitForProcessAsync<TNotReady>(_process, () => $"{_process.StartInfo.Arguments} exited with {_process.ExitCode}:\n{string.Join('\n', _output)}", probe, timeout);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptLines && _output.TryDequeue(out _))
            {
            }
        }
    }
}
