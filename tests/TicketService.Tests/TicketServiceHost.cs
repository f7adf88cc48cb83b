using Ferry.Testing;

namespace Ferry.TicketService.Tests;

/// <summary>TicketService started from its real Program with test configuration, on loopback ports.</summary>
public sealed class TicketServiceHost(IReadOnlyDictionary<string, string?> settings) : ServiceHost<Ferry.TicketService.Data.JobStore>(settings)
{
    /// <summary>A host whose vendors are unreachable (port 9): for tests of the API and the queue, not of syncing.</summary>
    public static TicketServiceHost WithoutVendors(string connectionString, string redisConnectionString, IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = TicketServiceProcess.WithoutVendors(connectionString, redisConnectionString);
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new(settings);
    }
}
