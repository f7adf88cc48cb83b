using System.Runtime.CompilerServices;
using Ferry.AttachmentService.Copying;
using Ferry.AttachmentService.Fetching;
using Ferry.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Ferry.AttachmentService.Api;

/// <summary>gRPC edge: protobuf ↔ domain mapping and request checks; failures: <see cref="AttachmentErrorMap"/>.</summary>
public sealed class AttachmentsApi(AttachmentCopier copier, ChunkUploader uploader, ZendeskFileReader reader) : Attachments.AttachmentsBase
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
        reply.Files.AddRange(result.Files.Select(ToProto));
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

    public override async Task<FetchReply> Fetch(FetchRequest request, ServerCallContext context)
    {
        if (request.Attachment is not { Url.Length: > 0 } source)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "attachment.url is required."));
        }

        if (request.MaxBytes < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "max_bytes must not be negative (0: the service's own cap)."));
        }

        var fetched = await reader.ReadAsync(new SourceFile(source.Url, source.Name, source.ContentType, source.Size), request.MaxBytes, context.CancellationToken);
        return new FetchReply { File = ToProto(fetched.Result), Data = ByteString.CopyFrom(fetched.Data) };
    }

    private static CopiedFile ToProto(FileResult f) => new()
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
    };

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
