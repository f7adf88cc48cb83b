namespace Ferry.AttachmentService.Safety;

/// <summary>Why a file is refused, in terms that may be shown to people (the reason text may name hosts and addresses).</summary>
public enum Refusal
{
    None,
    SourceNotAllowed,
    TooLarge,
    Empty,
    Rejected,
    Gone,
}

/// <summary>A file Ferry will not copy (host, scheme, address, size): a final outcome, never retried.</summary>
public sealed class AttachmentRefusedException(string reason, Refusal kind = Refusal.SourceNotAllowed) : Exception(reason)
{
    public string Reason => Message;

    public Refusal Kind => kind;
}
