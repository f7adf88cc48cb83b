using System.Diagnostics;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Testing;

namespace Ferry.Gateway.Tests.Grpc;

/// <summary>
/// The <c>ferry</c> CLI as an operator runs it (its built dll, in a process of its own) against the gateway: when the
/// cause of a refusal is on the operator's side (no gateway at the address, no API key), the message says which setting
/// to change; a refusal from behind the gateway is passed on as it came.
/// </summary>
public sealed class CliErrorTests(RedisServer redis) : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await GatewayHost.StartAsync(redis.ConnectionString, GatewayHost.NowhereAddress());

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task The_CLI_says_where_it_looked_for_the_gateway_and_which_setting_gives_the_key()
    {
        var nowhere = GatewayHost.NowhereAddress().ToString().TrimEnd('/');

        var unreachable = await FerryAsync("status", "4711", "--gateway", nowhere, "--api-key", GatewayHost.OtherApiKey);
        var keyless = await FerryAsync("status", "4711", "--gateway", _gateway.GrpcAddress.ToString());
        var behind = await FerryAsync("status", "4711", "--gateway", _gateway.GrpcAddress.ToString(), "--api-key", GatewayHost.OtherApiKey, "--json");

        Assert.Equal(1, unreachable.ExitCode);
        Assert.StartsWith($"Unavailable: no Ferry gateway answered at {nowhere} (", unreachable.Error, StringComparison.Ordinal);
        Assert.Contains("Give its gRPC address with --gateway or FERRY_GATEWAY.", unreachable.Error, StringComparison.Ordinal);
        Assert.Equal(1, keyless.ExitCode);
        Assert.Equal("Unauthenticated: A valid API key is required in the 'x-api-key' header. Give the key with --api-key or FERRY_API_KEY.", keyless.Error);

        // TicketService is not there: the gateway's own Unavailable, not a missing gateway.
        Assert.Equal(1, behind.ExitCode);
        Assert.StartsWith("{\"code\":\"Unavailable\",\"detail\":", behind.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("no Ferry gateway answered", behind.Error, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Error)> FerryAsync(params string[] arguments)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var start = new ProcessStartInfo("dotnet", [Path.Combine(LocalServer.RepositoryRoot, "src", "Cli", "bin", configuration, "net10.0", "ferry.dll"), .. arguments])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment.Remove("FERRY_API_KEY");
        start.Environment.Remove("FERRY_GATEWAY");
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, (await error).Trim());
    }
}
