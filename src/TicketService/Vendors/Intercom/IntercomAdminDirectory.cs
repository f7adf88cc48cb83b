using Ferry.TicketService.RoundTrip;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Vendors.Intercom;

/// <summary>
/// The workspace's Intercom admins by email (GET /admins), held in memory: re-read when older than
/// Status:IntercomAdminsRefreshInterval, and on a miss (an admin added since) at most once per interval, so
/// neither the status round-trip nor dual mode pays a vendor call per sync. Read on first use, not at start-up:
/// a deployment that never needs an admin never calls. A failed read keeps the previous list.
/// </summary>
public sealed partial class IntercomAdminDirectory(IServiceScopeFactory scopes, IOptions<StatusOptions> options, TimeProvider time, ILogger<IntercomAdminDirectory> logger) : IDisposable
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot? _snapshot;
    private long _missRefreshedAt = long.MinValue;

    private sealed record Snapshot(IReadOnlyDictionary<string, IntercomAdmin> ByEmail, DateTimeOffset LoadedAt);

    /// <summary>The admin with this email (case-insensitive), or null.</summary>
    public async Task<IntercomAdmin?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var interval = options.Value.IntercomAdminsRefreshInterval;
        var snapshot = _snapshot;
        if (snapshot is null || time.GetUtcNow() - snapshot.LoadedAt >= interval)
        {
            snapshot = await RefreshAsync(snapshot, cancellationToken);
        }

        if (snapshot.ByEmail.TryGetValue(email, out var admin))
        {
            return admin;
        }

        // One caller per interval re-reads on a miss; a list read a moment ago is not read again.
        var now = time.GetUtcNow();
        var last = Interlocked.Read(ref _missRefreshedAt);
        if ((last != long.MinValue && now.UtcTicks - last < interval.Ticks) || now - snapshot.LoadedAt < TimeSpan.FromSeconds(1)
            || Interlocked.CompareExchange(ref _missRefreshedAt, now.UtcTicks, last) != last)
        {
            return null;
        }

        return (await RefreshAsync(snapshot, cancellationToken)).ByEmail.GetValueOrDefault(email);
    }

    /// <summary>Re-reads the admins unless another caller did while this one waited for the lock.</summary>
    private async Task<Snapshot> RefreshAsync(Snapshot? seen, CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_snapshot is { } current && !ReferenceEquals(current, seen))
            {
                return current;
            }

            IReadOnlyList<IntercomAdmin> admins;
            try
            {
                using var scope = scopes.CreateScope();
                admins = await scope.ServiceProvider.GetRequiredService<IntercomClient>().ListAdminsAsync(cancellationToken);
            }
            catch (Exception e) when (seen is not null && e is not OperationCanceledException)
            {
                LogRefreshFailed(logger, e);
                return seen;
            }

            var byEmail = new Dictionary<string, IntercomAdmin>(StringComparer.OrdinalIgnoreCase);
            foreach (var admin in admins.Where(a => a.Email is { Length: > 0 }))
            {
                byEmail.TryAdd(admin.Email!, admin);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Intercom admin directory read: {Count} admins")]
    private static partial void LogRefreshed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Intercom admin directory refresh failed; keeping the previous list")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
