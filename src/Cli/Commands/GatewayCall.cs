using Grpc.Core;
using Spectre.Console;

namespace Ferry.Cli.Commands;

/// <summary>The exit code of a gateway call: 0, or 1 with the status and its detail when the call was refused.</summary>
internal static class GatewayCall
{
    public static async Task<int> ExitCodeAsync(Func<Task> call)
    {
        try
        {
            await call();
            return 0;
        }
        catch (RpcException error)
        {
            AnsiConsole.MarkupLineInterpolated(System.Globalization.CultureInfo.InvariantCulture, $"[red]{error.StatusCode}[/]: {error.Status.Detail}");
            return 1;
        }
    }
}
