namespace Ferry.Testing;

/// <summary>
/// The gateway as another machine runs it: its built dll (or a published one) in a process of its own, with its own
/// home directory (where ASP.NET Core would otherwise keep its data-protection keys).
/// </summary>
public static class GatewayProcess
{
    /// <summary>Started with <paramref name="settings"/> (Redis, TicketService's address, secrets) and serving (<c>/alive</c>) at <paramref name="http"/>.</summary>
    public static async Task<ServiceProcess> StartAsync(Uri http, Uri grpc, IReadOnlyDictionary<string, string?> settings, string? publishedDirectory = null)
    {
        var gateway = ServiceProcess.Start("Gateway", new Dictionary<string, string?>(settings)
        {
            ["HOME"] = Directory.CreateTempSubdirectory("ferry-gateway-home-").FullName,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Kestrel:Endpoints:http:Url"] = http.ToString(),
            ["Kestrel:Endpoints:grpc:Url"] = grpc.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        }, publishedDirectory);
        using var probe = new HttpClient { BaseAddress = http, Timeout = TimeSpan.FromSeconds(2) };
        await gateway.WaitUntilReadyAsync<HttpRequestException>(async () => (await probe.GetAsync(new Uri("/alive", UriKind.Relative))).EnsureSuccessStatusCode(), TimeSpan.FromSeconds(60));
        return gateway;
    }
}
