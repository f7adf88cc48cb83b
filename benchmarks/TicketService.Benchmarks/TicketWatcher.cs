using System.Collections.Concurrent;
using System.Diagnostics;
using Ferry.Sandbox.Zendesk;

namespace Ferry.TicketService.Benchmarks;

/// <summary>
/// Watches the sandbox's Zendesk state (in-process: no HTTP request, so nothing is added to the measured path or
/// to the vendor request counts) and records, per expected ticket, the moment a ticket with its external_id first
/// holds all its comments: that is "visible in Zendesk" for an agent. It is told of each comment as the sandbox
/// adds it (no polling: a poll would add up to its interval to every figure and wake the machine all the time).
/// </summary>
public sealed class TicketWatcher : IDisposable
{
    private readonly ZendeskState _zendesk;
    private readonly ConcurrentDictionary<string, (int Comments, long Start)> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, double> _latencies = new(StringComparer.Ordinal);

    public TicketWatcher(ZendeskState zendesk)
    {
        _zendesk = zendesk;
        _zendesk.CommentAdded += OnCommentAdded;
    }

    /// <summary>Starts the clock for one ticket: call right before handing the conversation over.</summary>
    public void Expect(string externalId, int comments, long startTimestamp) => _pending[externalId] = (comments, startTimestamp);

    /// <summary>Milliseconds from <see cref="Expect"/> to the complete ticket, per external_id.</summary>
    public IReadOnlyDictionary<string, double> Latencies => _latencies;

    public int Pending => _pending.Count;

    /// <summary>Stops waiting for a ticket whose sync failed (the failure is reported by the caller).</summary>
    public void Abandon(string externalId) => _pending.TryRemove(externalId, out _);

    public void Clear()
    {
        _pending.Clear();
        _latencies.Clear();
    }

    /// <summary>Waits until every expected ticket is complete; false on timeout.</summary>
    public async Task<bool> WaitAllAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!_pending.IsEmpty)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(10, cancellationToken);
        }

        return true;
    }

    public void Dispose() => _zendesk.CommentAdded -= OnCommentAdded;

    // Runs under the sandbox's lock, so the count is the ticket's as every reader will see it.
    private void OnCommentAdded(ZdTicket ticket)
    {
        if (ticket.ExternalId is { } externalId && _pending.TryGetValue(externalId, out var expected)
            && ticket.Comments.Count >= expected.Comments && _pending.TryRemove(externalId, out _))
        {
            _latencies[externalId] = Stopwatch.GetElapsedTime(expected.Start).TotalMilliseconds;
        }
    }
}
