using System.Diagnostics;
using System.Security.Cryptography;

namespace Ferry.Testing;

/// <summary>
/// Runs one of the repository's eng/local-*.sh scripts (the same ones the AppHost uses) as a
/// child process on a free loopback port, with its data in a fresh temporary directory.
/// </summary>
public abstract class LocalServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDirectory;

    /// <param name="settings">More of the script's environment, e.g. a server setting.</param>
    protected LocalServer(string script, string envPrefix, IReadOnlyDictionary<string, string>? settings = null)
    {
        Port = FreeLoopbackPort();
        Password = RandomNumberGenerator.GetHexString(32, lowercase: true);
        _dataDirectory = Directory.CreateTempSubdirectory("ferry-test-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // The local Postgres runs as the `postgres` user when tests run as root.
            File.SetUnixFileMode(_dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "eng", script)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment[$"{envPrefix}_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment[$"{envPrefix}_DATA"] = Path.Combine(_dataDirectory, "data");
        start.Environment[$"{envPrefix}_PASSWORD"] = Password;
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {script}.");
        _process.OutputDataReceived += (_, e) => Output.Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Output.Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>What the server printed, for failure messages.</summary>
    public System.Collections.Concurrent.ConcurrentBag<string?> Output { get; } = [];

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Polls <paramref name="ready"/> until it succeeds, failing fast if the process died.</summary>
    protected Task WaitUntilReadyAsync(Func<Task> ready, TimeSpan timeout) =>
        WaitForProcessAsync<Exception>(_process, () => $"Server exited with {_process.ExitCode}: {string.Join('\n', Output)}", ready, timeout);

    /// <summary>
    /// Calls <paramref name="probe"/> until it stops throwing <typeparamref name="TNotReady"/>; throws
    /// <paramref name="died"/>'s message as soon as <paramref name="process"/> has exited.
    /// </summary>
    internal static async Task WaitForProcessAsync<TNotReady>(Process process, Func<string> died, Func<Task> probe, TimeSpan timeout)
        where TNotReady : Exception
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process.HasExited)
            {
                // Drains the redirected output first: a process that dies at once has not been read yet.
                process.WaitForExit();
                throw new InvalidOperationException(died());
            }

            try
            {
                await probe();
                return;
            }
            catch (TNotReady) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM-like shutdown of the server (the script exec'd into it).
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A loopback port for a server that binds later (see <see cref="LoopbackPorts"/>).</summary>
    public static int FreeLoopbackPort() => LoopbackPorts.Next();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aspire.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Aspire.sln not found above the test binaries.");
    }
}
