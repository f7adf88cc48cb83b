using Ferry.TicketService.Sync;
using Ferry.V1;

namespace Ferry.TicketService.Tests.Sync;

/// <summary>Transient failures hold the part back; refusals become a ticket-safe private note.</summary>
public sealed class AttachmentNotesTests
{
    private static CopiedFile File(string name, CopyOutcome outcome, string reason = "", CopyRefusal refusal = CopyRefusal.Unspecified) =>
        new() { Name = name, Outcome = outcome, Reason = reason, Refusal = refusal };

    [Fact]
    public void A_transient_failure_throws_naming_every_file_that_waits()
    {
        var error = Assert.Throws<AttachmentsNotCopiedException>(() => AttachmentNotes.Refused("c1", "p1",
        [
            File("ok.png", CopyOutcome.Copied),
            File("cut.pdf", CopyOutcome.Failed, "failed: source answered 403 Forbidden"),
            File("later.txt", CopyOutcome.Failed, "failed: not tried, an earlier file of the part failed"),
            File("evil.exe", CopyOutcome.Refused, "refused: host 10.0.0.1 is not allowed", CopyRefusal.SourceNotAllowed),
        ]));

        Assert.Equal("p1", error.PartId);
        Assert.Contains("cut.pdf: failed: source answered 403 Forbidden", error.Message, StringComparison.Ordinal);
        Assert.Contains("later.txt", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ok.png", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refused_files_carry_a_reason_without_the_service_text()
    {
        var refused = AttachmentNotes.Refused("c1", "p1",
        [
            File("ok.png", CopyOutcome.Copied),
            File("evil.exe", CopyOutcome.Refused, "refused: address 10.0.0.1 is private", CopyRefusal.SourceNotAllowed),
            File("huge.zip", CopyOutcome.Refused, "refused: declared size 60000000 bytes is over the 52428800-byte cap", CopyRefusal.TooLarge),
            File("empty.txt", CopyOutcome.Refused, "refused: Zendesk did not take the empty file (422)", CopyRefusal.Empty),
        ]);

        Assert.Equal(["evil.exe", "huge.zip", "empty.txt"], refused.Select(f => f.Name));
        var html = AttachmentNotes.Folded(refused);
        Assert.DoesNotContain("10.0.0.1", html, StringComparison.Ordinal);
        Assert.DoesNotContain("52428800", html, StringComparison.Ordinal);
        Assert.Contains("huge.zip: it is larger than the attachment size limit", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_separate_note_is_private_names_its_message_and_has_a_ledger_id_of_its_own()
    {
        var part = new ThreadItem("p9", "comment", null, "<p>Here is the log</p>", DateTimeOffset.FromUnixTimeSeconds(1_700_000_100), []);

        var note = AttachmentNotes.Note(part, [new RefusedFile("log.txt", AttachmentNotes.Why(CopyRefusal.Gone))]);

        Assert.Equal("p9:files", note.PartId);
        Assert.True(AttachmentNotes.IsNotePartId(note.PartId));
        Assert.True(note.IsPrivate);
        Assert.False(note.IsEvent);
        Assert.Equal(part.CreatedAt, note.CreatedAt);
        Assert.Contains("2023-11-14 22:15:00 UTC", note.Body, StringComparison.Ordinal);
        Assert.Contains("log.txt: it is no longer available in Intercom", note.Body, StringComparison.Ordinal);
    }
}
