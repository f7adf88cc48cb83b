using Ferry.V1;
using Grpc.Health.V1;
using Grpc.Reflection;

namespace Ferry.Gateway.Api;

/// <summary>
/// gRPC reflection served by the gateway itself, describing what a client can call here: the public
/// <c>ferry.v1.Sync</c> API (proxied), health and reflection. The internal SyncInbox is not advertised.
/// </summary>
public sealed class GatewayReflectionV1() : ReflectionV1ServiceImpl(Descriptors)
{
    internal static readonly Google.Protobuf.Reflection.ServiceDescriptor[] Descriptors =
    [
        Sync.Descriptor,
        Health.Descriptor,
        Grpc.Reflection.V1.ServerReflection.Descriptor,
        Grpc.Reflection.V1Alpha.ServerReflection.Descriptor,
    ];
}

/// <summary>The same for clients that still speak reflection v1alpha (older grpcurl).</summary>
public sealed class GatewayReflectionV1Alpha() : ReflectionServiceImpl(GatewayReflectionV1.Descriptors);
