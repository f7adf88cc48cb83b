using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Ferry.Gateway.Benchmarks;

/// <summary>
/// What this process allocates, by type, from the runtime's sampled <c>GCAllocationTick</c> events (one about every
/// 100 KB allocated, naming the type of the object that crossed the mark): over thousands of requests the share of
/// each type is the share of the bytes. <c>BENCH_ALLOC_TYPES=1</c> prints it for the baseline and the verify+parse
/// scenario; the rest of the time it is off (the GC keyword at verbose level costs something itself).
/// </summary>
internal sealed class AllocationTypes : EventListener
{
    private const int AllocationTick = 10;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);
    private volatile bool _recording;

    public static AllocationTypes? StartIfAsked() =>
        Environment.GetEnvironmentVariable("BENCH_ALLOC_TYPES") == "1" ? new AllocationTypes() : null;

    public void Record() => _recording = true;

    /// <summary>The types that made up at least 1 % of the sampled bytes since <see cref="Record"/>, largest first, as "share type" lines; then forgets them.</summary>
    public IEnumerable<string> Take(int requests)
    {
        _recording = false;
        var samples = _bytesByType.ToArray();
        _bytesByType.Clear();
        var total = samples.Sum(s => s.Value);
        return samples.OrderByDescending(s => s.Value).TakeWhile(s => s.Value * 100 >= total)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Value * 100.0 / total,5:F1} %  ~{s.Value / (double)requests,6:F0} B/request  {s.Key}"));
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventId != AllocationTick || eventData.Payload is not { } payload)
        {
            return;
        }

        var type = payload[eventData.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(payload[eventData.PayloadNames!.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
        _bytesByType.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }
}
