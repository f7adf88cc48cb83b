namespace Ferry.Testing;

/// <summary>AttachmentService pointed at a sandbox: loopback and plain http allowed only for the hosts named here.</summary>
public static class AttachmentServiceSettings
{
    /// <summary>Hosts the tests may name besides the sandbox: private literals are on the list so the address check is what refuses them.</summary>
    public static readonly string[] TestHosts = ["127.0.0.1", "10.0.0.1", "169.254.169.254"];

    public static Dictionary<string, string?> For(SandboxServer sandbox, string redisConnectionString)
    {
        var configuration = new Dictionary<string, string?>(sandbox.VendorSettings)
        {
            ["Attachments:AllowLoopback"] = "true",
            ["Attachments:RetryBaseDelay"] = "00:00:00.050",
            ["ConnectionStrings:redis"] = redisConnectionString,
        };
        for (var i = 0; i < TestHosts.Length; i++)
        {
            configuration[$"Attachments:AllowedHosts:{i}"] = TestHosts[i];
            configuration[$"Attachments:AllowInsecureHttpForHosts:{i}"] = TestHosts[i];
        }

        return configuration;
    }
}
