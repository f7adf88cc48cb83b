namespace Ferry.Testing;

/// <summary>The AppHost's settings for a test run of the whole app model on local processes.</summary>
public static class LocalAppModel
{
    /// <summary>
    /// Local Postgres and Redis with their data under <paramref name="dataDirectory"/>, on ports from
    /// <see cref="LoopbackPorts"/> (the AppHost's own choice would race other test processes for them),
    /// services on random ports; then <paramref name="more"/>.
    /// </summary>
    public static string[] Arguments(string dataDirectory, params string[] more) =>
    [
        "Ferry:Infrastructure=local",
        $"Ferry:DataDirectory={dataDirectory}",
        $"Ferry:PostgresPort={LoopbackPorts.Next()}",
        $"Ferry:RedisPort={LoopbackPorts.Next()}",
        "DcpPublisher:RandomizePorts=true",
        .. more,
    ];
}
