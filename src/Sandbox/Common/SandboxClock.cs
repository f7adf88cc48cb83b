namespace Ferry.Sandbox.Common;

/// <summary>
/// The sandbox's clock: real time plus an offset that tests and the admin API can advance
/// (expire upload tokens, attachment URLs and rate-limit windows without waiting).
/// </summary>
public sealed class SandboxClock(TimeProvider inner) : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;

    public long UnixNow => GetUtcNow().ToUnixTimeSeconds();
}
