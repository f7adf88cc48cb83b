using System.ComponentModel.DataAnnotations;

namespace Ferry.TicketService.Retention;

/// <summary>Section "Retention": how long personal data and history are kept (docs/OPERATIONS.md, "Retention").</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Raw webhook payloads in sync.inbox (personal data) are nulled after this.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Inbox { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The inbox rows themselves (delivery ids, the dedup guarantee) are deleted after this; it must outlast
    /// every redelivery window (Zendesk: the 5-minute signature tolerance; Intercom and Zendesk retries: hours).
    /// </summary>
    [Range(typeof(TimeSpan), "2.00:00:00", "3650.00:00:00")]
    public TimeSpan DeliveryIds { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The attempt log (sync.attempts), and the finished jobs of its attempts, are deleted after this.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Attempts { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Rows per statement.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Pause between two batches, so a large backlog never monopolises the database.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a purge pass runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}
