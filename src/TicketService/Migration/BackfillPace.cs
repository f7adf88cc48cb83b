namespace Ferry.TicketService.Migration;

/// <summary>
/// Keeps one run's Zendesk calls at or under <c>perMinute</c> on average since the run (or its resume)
/// started: after spending, waits until the calls made fit the rate. The shared rate budget still caps
/// every call; this keeps the rest of it for live sync.
/// </summary>
public sealed class BackfillPace(double perMinute, TimeProvider time)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private long _calls;

    public double PerMinute => perMinute;

    public async Task SpendAsync(int calls, CancellationToken cancellationToken)
    {
        var total = Interlocked.Add(ref _calls, calls);
        var due = _started + TimeSpan.FromMinutes(total / perMinute);
        var wait = due - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    /// <summary>How long <paramref name="calls"/> Zendesk calls take at this pace.</summary>
    public TimeSpan Duration(int calls) => TimeSpan.FromMinutes(calls / perMinute);
}
