using Ferry.IdentityService.Extensions;
using Ferry.IdentityService.Matching;

namespace Ferry.IdentityService.Agents;

/// <summary>
/// Zendesk agents and admins by (normalised) email, held in memory and re-read every
/// Identity:Agents:RefreshInterval by <see cref="AgentDirectoryRefresher"/>; the first lookup loads it.
/// Read-only towards Zendesk: agents are never created.
/// </summary>
public sealed partial class AgentDirectory(IServiceScopeFactory scopes, TimeProvider time, ILogger<AgentDirectory> logger) : IDisposable
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot? _snapshot;

    public sealed record Snapshot(IReadOnlyDictionary<string, ZendeskUser> ByEmail, DateTimeOffset LoadedAt);

    public async Task<Snapshot> GetAsync(CancellationToken ct) => _snapshot ?? await RefreshAsync(ct);

    public async Task<Snapshot> RefreshAsync(CancellationToken ct)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            using var scope = scopes.CreateScope();
            var zendesk = scope.ServiceProvider.GetRequiredService<ZendeskUsersClient>();
            var byEmail = new Dictionary<string, ZendeskUser>(StringComparer.Ordinal);
            await foreach (var user in zendesk.ListAgentsAsync(ct))
            {
                if (user is { Active: true, Role: "agent" or "admin" } && EmailAddress.Normalize(user.Email) is { } email)
                {
                    byEmail.TryAdd(email, user);
                }
            }

            var snapshot = new Snapshot(byEmail, time.GetUtcNow());
            _snapshot = snapshot;
            LogRefreshed(logger, byEmail.Count);
            return snapshot;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent directory refreshed: {Count} agents")]
    private static partial void LogRefreshed(ILogger logger, int count);
}

/// <summary>Re-reads the agent directory periodically; a failed refresh keeps the previous snapshot.</summary>
public sealed partial class AgentDirectoryRefresher(AgentDirectory directory, IOptions<IdentityOptions> options, TimeProvider time, ILogger<AgentDirectoryRefresher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Agents.RefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await directory.RefreshAsync(stoppingToken);
                }
                catch (ZendeskException e)
                {
                    LogRefreshFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent directory refresh failed; keeping the previous directory")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
