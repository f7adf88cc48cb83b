using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ferry.AttachmentService.Telemetry;

/// <summary>The service's one ActivitySource and one Meter ("Ferry.AttachmentService").</summary>
public sealed class AttachmentTelemetry : IDisposable
{
    public const string Name = "Ferry.AttachmentService";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _files;
    private readonly Histogram<double> _duration;

    public AttachmentTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _bytes = _meter.CreateCounter<long>("ferry.attachments.bytes", "By", "Bytes copied into Zendesk uploads");
        _files = _meter.CreateCounter<long>("ferry.attachments.files", "{file}", "Files handled, by outcome (copied, refused, failed)");
        _duration = _meter.CreateHistogram<double>("ferry.attachments.duration", "s", "Time to copy one file, all attempts");
    }

    public void Record(string operation, string outcome, long bytes, TimeSpan elapsed)
    {
        var tags = new TagList { { "ferry.operation", operation }, { "ferry.attachment.outcome", outcome } };
        _files.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
        if (bytes > 0 && outcome == "copied")
        {
            _bytes.Add(bytes, new TagList { { "ferry.operation", operation } });
        }
    }

    public void Dispose() => _meter.Dispose();
}
