using System.Globalization;
using Ferry.Sandbox.Intercom;

namespace Ferry.Reconcile.Benchmarks;

/// <summary>One seeded conversation: its id and when it was opened and updated (unix seconds, ascending).</summary>
internal sealed record DayConversation(string Id, long[] Events)
{
    /// <summary>What Intercom's search by updated_at sees at the end of the day: the last event.</summary>
    public long UpdatedAt => Events[^1];
}

/// <summary>
/// One day of Intercom activity, written straight into the in-process sandbox (no webhooks, back-dated).
/// Each conversation gets 1 + <paramref name="updates"/> events (opening message, then replies alternating
/// agent and customer) whose times are drawn independently from the day's traffic and sorted: uniform over
/// the day, except one hour at <paramref name="peakFactor"/> × the day's mean rate (the other 23 hours share
/// the rest). Conversations thus live for hours, as support threads do, and events per hour follow the curve.
/// </summary>
internal sealed class ActivityDay(int conversations, int updates, double peakFactor)
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public int Events => conversations * (1 + updates);

    /// <summary>Events per hour outside the peak hour, as a share of the day's mean.</summary>
    public double OffPeakShare => (24 - peakFactor) / 23;

    /// <summary>Seeds the day [end − 24 h, end) with the peak hour starting <paramref name="peakStartsHoursAgo"/> hours before end.</summary>
    public IReadOnlyList<DayConversation> Seed(IntercomState intercom, IcAdmin agent, DateTimeOffset end, int peakStartsHoursAgo, int seed)
    {
        var random = new Random(seed);
        var dayStart = end.ToUnixTimeSeconds() - (long)TimeSpan.FromDays(1).TotalSeconds;
        var peakStart = end.ToUnixTimeSeconds() - (long)(peakStartsHoursAgo * Hour.TotalSeconds);
        var hour = (long)Hour.TotalSeconds;
        long Draw()
        {
            // The peak hour takes peakFactor/24 of the day's events; the rest spread evenly over the other 23 hours.
            if (random.NextDouble() < peakFactor / 24)
            {
                return peakStart + random.NextInt64(hour);
            }

            var offset = dayStart + random.NextInt64(23 * hour);
            return offset < peakStart ? offset : offset + hour;
        }

        var agentAuthor = IntercomState.AuthorFor(agent);
        var seeded = new List<DayConversation>(conversations);
        for (var i = 0; i < conversations; i++)
        {
            var events = Enumerable.Range(0, 1 + updates).Select(_ => Draw()).Order().ToArray();
            var contact = intercom.AddContact("user", $"customer-{seed}-{i}@bench.example", $"Customer {seed}-{i}", $"cust-{seed}-{i}");
            var conversation = intercom.CreateConversation(contact, "", Body(i, 0), createdAt: events[0]);
            for (var k = 1; k < events.Length; k++)
            {
                intercom.AddPart(conversation.Id, "comment", k % 2 == 1 ? agentAuthor : intercom.AuthorFor(contact), Body(i, k), at: events[k]);
            }

            seeded.Add(new DayConversation(conversation.Id, events));
        }

        return seeded;
    }

    private static string Body(int conversation, int part) =>
        string.Create(CultureInfo.InvariantCulture, $"<p>Message {part} of conversation {conversation}: the invoice shows the wrong amount, could you check it?</p>");
}
