using System.Diagnostics;

namespace Ferry.AppHost.Infrastructure;

/// <summary>How Postgres and Redis are provided: containers, or local processes the AppHost starts.</summary>
public enum InfrastructureMode
{
    Containers,
    LocalProcesses,
}

public static class InfrastructureModeSelector
{
    public const string SettingName = "Ferry:Infrastructure";

    /// <summary>
    /// "containers" or "local" force a mode; "auto" (or nothing) uses containers only when a
    /// container engine answers, because a docker client without an engine is common (our build machines).
    /// </summary>
    public static InfrastructureMode Select(string? setting, Func<bool> containerRuntimeAvailable) =>
        (setting?.Trim().ToLowerInvariant()) switch
        {
            null or "" or "auto" => containerRuntimeAvailable() ? InfrastructureMode.Containers : InfrastructureMode.LocalProcesses,
            "containers" or "container" => InfrastructureMode.Containers,
            "local" or "processes" or "local-processes" => InfrastructureMode.LocalProcesses,
            _ => throw new InvalidOperationException(
                $"{SettingName} is '{setting}'; expected 'auto', 'containers' or 'local'."),
        };

    /// <summary>True when `docker info` or `podman info` reaches a running engine within a few seconds.</summary>
    public static bool ProbeContainerRuntime()
    {
        var preferred = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        string[] candidates = string.IsNullOrWhiteSpace(preferred) ? ["docker", "podman"] : [preferred];
        return candidates.Any(EngineAnswers);
    }

    private static bool EngineAnswers(string cli)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(cli, "info --format {{.ServerVersion}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
