using System.Buffers;
using System.Net;

namespace Ferry.AttachmentService.Copying;

/// <summary>
/// Request content that copies a source stream (a download body, a pipe) into the upload with one
/// small pooled buffer, counting bytes and stopping as soon as the cap is passed. Nothing is buffered:
/// memory stays at one buffer per file whatever the size. The length, when known, becomes Content-Length.
/// </summary>
public sealed class CappedStreamContent(Stream source, long? knownLength, long cap) : HttpContent
{
    public const int BufferSize = 64 * 1024;

    private long _bytes;

    /// <summary>Bytes sent so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                var total = Interlocked.Add(ref _bytes, read);
                if (total > cap)
                {
                    throw new FileTooLargeException(cap);
                }

                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = knownLength ?? 0;
        return knownLength is not null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            source.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The file passed the size cap while streaming.</summary>
public sealed class FileTooLargeException(long cap) : Exception($"refused: larger than the {cap}-byte cap")
{
    public long Cap => cap;
}
