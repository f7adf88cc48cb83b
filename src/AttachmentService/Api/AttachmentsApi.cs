using System.Runtime.CompilerServices;
using Ferry.AttachmentService.Copying;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.AttachmentService.Api;

/// <summary>gRPC edge: protobuf ↔ domain mapping and request checks; failures: <see cref="AttachmentErrorMap"/>.</summary>
public sealed class AttachmentsApi(AttachmentCopier copier, ChunkUploader uploader) : Attachments.AttachmentsBase
{
    public const int MaxAttachmentsPerCall = 100;

    public override async Task<CopyReply> Copy(CopyRequest request, ServerCallContext context)
    {
        if (request.Attachments.Count > MaxAttachmentsPerCall)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"At most {MaxAttachmentsPerCall} attachments per call (got {request.Attachments.Count}); split the part's attachments."));
        }

        var files = request.Attachments.Select(a => new SourceFile(a.Url, a.Name, a.ContentType, a.Size)).ToList();
        var result = await copier.CopyAsync(new CopyScope(request.ConversationId, request.PartId), files, context.CancellationToken);
        var reply = new CopyReply { UploadToken = result.Token ?? "" };
        reply.Files.AddRange(result.Files.Select(f => new CopiedFile
        {
            Name = f.Name,
            Outcome = f.Outcome switch
            {
                FileOutcome.Copied => CopyOutcome.Copied,
                FileOutcome.Refused => CopyOutcome.Refused,
                _ => CopyOutcome.Failed,
            },
            Reason = f.Reason,
            Refusal = f.Refusal switch
            {
                Safety.Refusal.SourceNotAllowed => CopyRefusal.SourceNotAllowed,
                Safety.Refusal.TooLarge => CopyRefusal.TooLarge,
                Safety.Refusal.Empty => CopyRefusal.Empty,
                Safety.Refusal.Rejected => CopyRefusal.Rejected,
                Safety.Refusal.Gone => CopyRefusal.Gone,
                _ => CopyRefusal.Unspecified,
            },
            Bytes = f.Bytes,
            ContentType = f.ContentType,
        }));
        return reply;
    }

    public override async Task<UploadReply> Upload(IAsyncStreamReader<UploadChunk> requestStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct) || requestStream.Current.DataCase != UploadChunk.DataOneofCase.Metadata)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message must carry the metadata (name, content_type, optional token); chunks follow."));
        }

        var metadata = requestStream.Current.Metadata;
        if (string.IsNullOrWhiteSpace(metadata.Name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "metadata.name is required: Zendesk needs a file name."));
        }

        var (upload, bytes) = await uploader.UploadAsync(metadata.Name, metadata.ContentType, metadata.Token, Chunks(requestStream, ct), ct);
        return new UploadReply { UploadToken = upload.Token, Bytes = bytes };
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(IAsyncStreamReader<UploadChunk> stream, [EnumeratorCancellation] CancellationToken ct)
    {
        while (await stream.MoveNext(ct))
        {
            if (stream.Current.DataCase != UploadChunk.DataOneofCase.Chunk)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Only the first message may carry metadata; the rest must be chunks."));
            }

            yield return stream.Current.Chunk.Memory;
        }
    }
}
