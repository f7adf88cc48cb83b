namespace Ferry.TicketService.Sync;

/// <summary>The comment Ferry writes for a thread item, before attachments: its Zendesk author (null: the API user) and its HTML.</summary>
public sealed record ExpectedComment(ThreadItem Item, long? AuthorId, string Html);

/// <summary>
/// Recognises the comments an earlier attempt already put into the ticket, so the next attempt neither
/// doubles them nor swallows a customer's message. A comment is an item's only when it is by the author
/// Ferry writes the item as, has the item's visibility, and its text is exactly the text Ferry renders
/// (byline included) — never a substring, so an agent's "Thanks, looking into it" is not a customer's
/// "Thanks". The one addition allowed is Ferry's own note about attachments it could not copy.
/// </summary>
public static class CommentRecognition
{
    /// <summary>
    /// Ferry sends items in order and stops at the first failure, so what landed is a prefix of
    /// <paramref name="expected"/>: candidates are matched in order, and the first item without a match ends it.
    /// </summary>
    /// <param name="adopting">The ticket was imported by a crashed attempt: the import kept each part's created_at, so it must match too.</param>
    /// <returns>The comment id of each recognised item, in order (the recognised items are the first ones).</returns>
    public static IReadOnlyList<long> Recognise(IReadOnlyList<ExpectedComment> expected, IReadOnlyList<ZendeskComment> candidates, bool adopting)
    {
        var ids = new List<long>();
        var next = 0;
        foreach (var item in expected)
        {
            var match = -1;
            for (var i = next; i < candidates.Count && match < 0; i++)
            {
                match = Matches(item, candidates[i], adopting) ? i : -1;
            }

            if (match < 0)
            {
                break;
            }

            ids.Add(candidates[match].Id);
            next = match + 1;
        }

        return ids;
    }

    public static bool Matches(ExpectedComment expected, ZendeskComment candidate, bool adopting) =>
        // Without an author of its own the comment is the API user's, whose id Ferry does not know: its byline tells it apart.
        (expected.AuthorId is null || candidate.AuthorId == expected.AuthorId)
        && candidate.Public == !expected.Item.IsPrivate
        && (!adopting || candidate.CreatedAt?.ToUnixTimeSeconds() == expected.Item.CreatedAt.ToUnixTimeSeconds())
        && SameText(TicketPlanner.PlainText(candidate.HtmlBody ?? candidate.Body), TicketPlanner.PlainText(expected.Html));

    /// <summary>Equal text, or the text followed by Ferry's note about attachments (folded into a private comment).</summary>
    public static bool SameText(string candidate, string expected) =>
        candidate == expected
        || (candidate.StartsWith(expected + " ", StringComparison.Ordinal)
            && candidate.AsSpan(expected.Length + 1).StartsWith(AttachmentNotes.FoldedHeader, StringComparison.Ordinal));
}
