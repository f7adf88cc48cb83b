using Ferry.TicketService.RoundTrip;
using Microsoft.Extensions.Options;

namespace Ferry.TicketService.Vendors.Intercom;

/// <summary>
/// The workspace's Intercom admins by email (GET /admins), held in memory: re-read when older than
/// Status:IntercomAdminsRefreshInterval, and on a miss (an admin added since) at most once per interval, so
/// neither the status round-trip nor dual mode pays a vendor call per sync. Read on first use, not at start-up:
/// a deployment that never needs an admin never calls. A failed read keeps the previous list.
/// </summary>
public sealed partial class IntercomAdminDirectory(IServiceScopeFactory scopes, IOptions<StatusOptions> options, TimeProvider time, ILogger<IntercomAdminDirectory> logger)
{
    private readonly Lock _gate = new();
    private volatile Snapshot? _snapshot;
    private Task<Snapshot>? _reading;
    private long _missRefreshedAt = long.MinValue;

    private sealed record Snapshot(IReadOnlyDictionary<string, IntercomAdmin> ByEmail, DateTimeOffset LoadedAt);

    /// <summary>The admin with this email (case-insensitive), or null.</summary>
    public async Task<IntercomAdmin?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var interval = options.Value.IntercomAdminsRefreshInterval;
        var snapshot = _snapshot;
        if (snapshot is null || time.GetUtcNow() - snapshot.LoadedAt >= interval)
        {
            snapshot = await RefreshAsync(snapshot).WaitAsync(cancellationToken);
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

        return (await RefreshAsync(snapshot).WaitAsync(cancellationToken)).ByEmail.GetValueOrDefault(email);
    }

    /// <summary>One read at a time, shared by every caller waiting for it; none when another caller already replaced <paramref name="seen"/>.</summary>
    private Task<Snapshot> RefreshAsync(Snapshot? seen)
    {
        lock (_gate)
        {
            return _snapshot is { } current && !ReferenceEquals(current, seen) ? Task.FromResult(current) : _reading ??= ReadAsync(seen);
        }
    }

    private async Task<Snapshot> ReadAsync(Snapshot? seen)
    {
        // Runs after RefreshAsync has stored this task, so the finally below always clears it.
        await Task.Yield();
        try
        {
            using var scope = scopes.CreateScope();
            var admins = await scope.ServiceProvider.GetRequiredService<IntercomClient>().ListAdminsAsync(CancellationToken.None);
            var byEmail = admins.Where(a => a.Email is { Length: > 0 }).DistinctBy(a => a.Email, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(a => a.Email!, StringComparer.OrdinalIgnoreCase);
            LogRead(logger, byEmail.Count);
            return _snapshot = new Snapshot(byEmail, time.GetUtcNow());
        }
        catch (Exception e) when (seen is not null)
        {
            LogReadFailed(logger, e);
            return seen;
        }
        finally
        {
            lock (_gate)
            {
                _reading = null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Intercom admin directory read: {Count} admins")]
    private static partial void LogRead(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Intercom admin directory refresh failed; keeping the previous list")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
