using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ferry.Testing;
using Ferry.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.AttachmentService.Tests;

/// <summary>Metrics and spans of one Copy, read from this service instance's meter and the activity source.</summary>
public sealed class TelemetryTests(SandboxServer sandbox)
{
    [Fact]
    public async Task A_copy_records_bytes_outcomes_and_a_span_per_file()
    {
        await using var service = await AttachmentServiceHost.StartAsync(sandbox);
        var meters = service.Services.GetRequiredService<IMeterFactory>();
        var measurements = new ConcurrentBag<(string Instrument, long Value, string? Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this host's meter: other test classes run their own services in parallel.
            if (instrument.Meter.Name == "Ferry.AttachmentService" && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "ferry.attachment.outcome")
                {
                    outcome = tag.Value as string;
                }
            }

            measurements.Add((instrument.Name, value, outcome));
        });
        listener.Start();

        var conversationId = Guid.NewGuid().ToString("N");
        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Ferry.AttachmentService",
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("ferry.conversation_id") as string == conversationId)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(activities);

        var request = new CopyRequest { ConversationId = conversationId, PartId = "part-9" };
        request.Attachments.Add(sandbox.Attachment("a.txt", "text/plain", 1000));
        request.Attachments.Add(new SourceAttachment { Url = "https://evil.example/b.txt", Name = "b.txt" });
        await service.Client.CopyAsync(request, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1000, measurements.Where(m => m.Instrument == "ferry.attachments.bytes").Sum(m => m.Value));
        var files = measurements.Where(m => m.Instrument == "ferry.attachments.files").ToList();
        Assert.Equal(["copied", "refused"], files.Select(f => f.Outcome).Order());
        Assert.Equal(2, spans.Count);
        Assert.All(spans, s => Assert.Equal("part-9", s.GetTagItem("ferry.part_id")));
        Assert.Equal(["copied", "refused"], spans.Select(s => (string)s.GetTagItem("ferry.attachment.outcome")!).Order());
        Assert.Equal(1000L, spans.Single(s => (string)s.GetTagItem("ferry.attachment.outcome")! == "copied").GetTagItem("ferry.attachment.bytes"));
    }
}
