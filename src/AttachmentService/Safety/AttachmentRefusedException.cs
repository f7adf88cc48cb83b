namespace Ferry.AttachmentService.Safety;

/// <summary>A file Ferry will not copy (host, scheme, address, size): a final outcome, never retried.</summary>
public sealed class AttachmentRefusedException(string reason) : Exception(reason)
{
    public string Reason => Message;
}
