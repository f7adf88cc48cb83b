using Ferry.TicketService.Sync;
using Ferry.TicketService.Vendors.Intercom;
using Ferry.TicketService.Vendors.Zendesk;

namespace Ferry.TicketService.Tests.Sync;

/// <summary>What the next attempt counts as already in the ticket: author and exact text, in order.</summary>
public sealed class CommentRecognitionTests
{
    private const long Customer = 5;
    private const long Agent = 7;
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeSeconds(1_700_000_100);

    private static ExpectedComment Expected(string partId, string body, long? author, string type = "comment", string? byline = null, DateTimeOffset? at = null)
    {
        var item = new ThreadItem(partId, type, new IntercomAuthor(partId, "user", null, null), body, at ?? At, []);
        return new ExpectedComment(item, author, TicketPlanner.CommentHtml(item, byline));
    }

    private static ZendeskComment Comment(long id, string html, long author, bool isPublic = true, DateTimeOffset? at = null) =>
        new(id, author, null, html, isPublic, at ?? At);

    [Theory]
    [InlineData("<p>Thanks, looking into it</p>", Agent)] // an agent's reply that starts the same
    [InlineData("<p>Thanks, and one more thing</p>", Customer)] // containing the text is not enough
    [InlineData("<p>Thanks</p>", Agent)] // the same text by someone else
    public void A_customer_Thanks_is_not_absorbed_by_a_comment_that_is_not_exactly_it(string candidateHtml, long candidateAuthor)
    {
        var ids = CommentRecognition.Recognise([Expected("p1", "<p>Thanks</p>", Customer)], [Comment(100, candidateHtml, candidateAuthor)], adopting: false);

        Assert.Empty(ids);
    }

    [Fact]
    public void The_same_author_and_text_is_recognised_despite_markup_and_spacing()
    {
        var ids = CommentRecognition.Recognise(
            [Expected("p1", "<p>Thanks&nbsp;a lot</p>", Customer)],
            [Comment(100, "<div class=\"zd-comment\"><p>Thanks a   lot</p></div>", Customer)],
            adopting: false);

        Assert.Equal([100L], ids);
    }

    [Fact]
    public void A_repeated_identical_reply_is_recognised_once_and_the_second_is_still_sent()
    {
        var ids = CommentRecognition.Recognise(
            [Expected("p1", "<p>Thanks</p>", Customer), Expected("p2", "<p>Thanks</p>", Customer)],
            [Comment(100, "<p>Thanks</p>", Customer)],
            adopting: false);

        Assert.Equal([100L], ids);
    }

    [Fact]
    public void A_comment_with_a_byline_is_recognised_by_the_whole_rendered_text()
    {
        var expected = Expected("p1", "<p>Your refund is on its way.</p>", Agent, byline: "Ada (Intercom teammate) wrote:");

        Assert.Equal([100L], CommentRecognition.Recognise([expected], [Comment(100, expected.Html, Agent)], adopting: false));
        Assert.Empty(CommentRecognition.Recognise([expected], [Comment(101, "<p>Your refund is on its way.</p>", Agent)], adopting: false));
    }

    [Fact]
    public void Without_an_author_of_its_own_the_byline_and_text_decide()
    {
        var expected = Expected("p1", "<p>Hi, I am the bot.</p>", author: null, byline: "Fin (Intercom bot) wrote:");

        Assert.Equal([100L], CommentRecognition.Recognise([expected], [Comment(100, expected.Html, author: 999)], adopting: false));
    }

    [Fact]
    public void A_private_comment_may_carry_the_note_about_refused_attachments()
    {
        var expected = Expected("p1", "<p>See the file</p>", Agent, type: "note");
        var note = AttachmentNotes.Folded([new RefusedFile("a.exe", AttachmentNotes.Why(Ferry.V1.CopyRefusal.SourceNotAllowed))]);

        Assert.Equal([100L], CommentRecognition.Recognise([expected], [Comment(100, expected.Html + note, Agent, isPublic: false)], adopting: false));
        Assert.Empty(CommentRecognition.Recognise([expected], [Comment(101, expected.Html + "<p>something else</p>", Agent, isPublic: false)], adopting: false));
    }

    [Fact]
    public void Visibility_must_match()
    {
        var ids = CommentRecognition.Recognise(
            [Expected("p1", "<p>Internal</p>", Agent, type: "note")],
            [Comment(100, "<p>Internal</p>", Agent, isPublic: true)],
            adopting: false);

        Assert.Empty(ids);
    }

    [Fact]
    public void Candidates_are_matched_in_order_and_the_first_missing_item_ends_the_prefix()
    {
        var ids = CommentRecognition.Recognise(
            [Expected("p1", "<p>one</p>", Customer), Expected("p2", "<p>two</p>", Agent), Expected("p3", "<p>three</p>", Customer)],
            [Comment(100, "<p>one</p>", Customer), Comment(101, "<p>an agent's own reply</p>", Agent), Comment(102, "<p>three</p>", Customer)],
            adopting: false);

        Assert.Equal([100L], ids);
    }

    [Fact]
    public void Unrelated_comments_between_items_are_skipped()
    {
        var ids = CommentRecognition.Recognise(
            [Expected("p1", "<p>one</p>", Customer), Expected("p2", "<p>two</p>", Agent)],
            [Comment(100, "<p>one</p>", Customer), Comment(101, "<p>an agent's own reply</p>", Agent), Comment(102, "<p>two</p>", Agent)],
            adopting: false);

        Assert.Equal([100L, 102L], ids);
    }

    [Fact]
    public void When_adopting_an_imported_ticket_created_at_must_match_too()
    {
        var expected = Expected("p1", "<p>Thanks</p>", Customer);

        Assert.Equal([100L], CommentRecognition.Recognise([expected], [Comment(100, "<p>Thanks</p>", Customer)], adopting: true));
        Assert.Empty(CommentRecognition.Recognise([expected], [Comment(100, "<p>Thanks</p>", Customer, at: At.AddMinutes(3))], adopting: true));
    }

    [Fact]
    public void An_empty_message_is_recognised_by_its_placeholder_only()
    {
        var expected = Expected("p1", "", Customer);

        Assert.Equal([100L], CommentRecognition.Recognise([expected], [Comment(100, "<p>(empty message)</p>", Customer)], adopting: false));
        Assert.Empty(CommentRecognition.Recognise([expected], [Comment(101, "<p>Anything</p>", Customer)], adopting: false));
    }
}
