using Ferry.Testing;

namespace Ferry.TicketService.Tests;

/// <summary>
/// A test class over a <see cref="SyncStack"/> of its own (its database, TicketService, IdentityService and sandbox),
/// made before its first test with <paramref name="settings"/> for TicketService and disposed after its last.
/// </summary>
public abstract class SyncStackTests(
    PostgresServer postgres, RedisServer redis, string name, IReadOnlyDictionary<string, string?> settings, bool attachments = false) : IAsyncLifetime
{
    protected SyncStack Stack { get; private set; } = null!;

    protected SandboxServer Sandbox => Stack.Sandbox;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync() => Stack = await SyncStack.CreateAsync(postgres, redis, name, settings, Ct, attachments);

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
