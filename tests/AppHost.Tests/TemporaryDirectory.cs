namespace Ferry.AppHost.Tests;

/// <summary>A fresh data directory per test, so local Postgres and Redis start from nothing.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = Create();

    private static string Create()
    {
        var directory = Directory.CreateTempSubdirectory("ferry-test-");
        // The local Postgres runs as the `postgres` user (it refuses root) and must reach its data below here.
        if (!OperatingSystem.IsWindows())
        {
            directory.UnixFileMode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        }

        return directory.FullName;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A server may still be flushing; the OS temp cleaner takes the rest.
        }
    }
}
