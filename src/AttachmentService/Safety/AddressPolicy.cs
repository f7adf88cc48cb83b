using System.Net;
using System.Net.Sockets;

namespace Ferry.AttachmentService.Safety;

/// <summary>
/// Which IP addresses a download may connect to: public unicast only. Refuses private, loopback,
/// link-local (cloud metadata), unique-local, multicast, unspecified, reserved and documentation
/// ranges, and IPv6 forms that embed an IPv4 address (mapped, compatible, 6to4, NAT64) by their IPv4 part.
/// </summary>
public sealed class AddressPolicy(bool allowLoopback)
{
    private static readonly (IPAddress Network, int Prefix, string Kind)[] BlockedV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8, "unspecified"),
        (IPAddress.Parse("10.0.0.0"), 8, "private"),
        (IPAddress.Parse("100.64.0.0"), 10, "shared (CGNAT)"),
        (IPAddress.Parse("127.0.0.0"), 8, "loopback"),
        (IPAddress.Parse("169.254.0.0"), 16, "link-local"),
        (IPAddress.Parse("172.16.0.0"), 12, "private"),
        (IPAddress.Parse("192.0.0.0"), 24, "reserved"),
        (IPAddress.Parse("192.0.2.0"), 24, "documentation"),
        (IPAddress.Parse("192.88.99.0"), 24, "reserved"),
        (IPAddress.Parse("192.168.0.0"), 16, "private"),
        (IPAddress.Parse("198.18.0.0"), 15, "benchmarking"),
        (IPAddress.Parse("198.51.100.0"), 24, "documentation"),
        (IPAddress.Parse("203.0.113.0"), 24, "documentation"),
        (IPAddress.Parse("224.0.0.0"), 4, "multicast"),
        (IPAddress.Parse("240.0.0.0"), 4, "reserved"),
    ];

    private static readonly (IPAddress Network, int Prefix, string Kind)[] BlockedV6 =
    [
        (IPAddress.Parse("::"), 128, "unspecified"),
        (IPAddress.Parse("::1"), 128, "loopback"),
        (IPAddress.Parse("100::"), 64, "discard"),
        (IPAddress.Parse("2001:db8::"), 32, "documentation"),
        (IPAddress.Parse("2001::"), 32, "Teredo"),
        (IPAddress.Parse("fc00::"), 7, "unique-local"),
        (IPAddress.Parse("fe80::"), 10, "link-local"),
        (IPAddress.Parse("fec0::"), 10, "site-local"),
        (IPAddress.Parse("ff00::"), 8, "multicast"),
    ];

    private static readonly IPAddress Nat64 = IPAddress.Parse("64:ff9b::");
    private static readonly IPAddress SixToFour = IPAddress.Parse("2002::");

    public bool AllowLoopback => allowLoopback;

    /// <summary>Null when the address may be connected to, otherwise what kind of address it is.</summary>
    public string? Refusal(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var embedded = EmbeddedIPv4(address);
            if (embedded is not null)
            {
                return Refusal(embedded);
            }

            if (address.ScopeId != 0)
            {
                address = new IPAddress(address.GetAddressBytes());
            }

            foreach (var (network, prefix, kind) in BlockedV6)
            {
                if (InRange(address, network, prefix))
                {
                    return kind == "loopback" && allowLoopback ? null : kind;
                }
            }

            return null;
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return "not an IP address";
        }

        if (address.Equals(IPAddress.Broadcast))
        {
            return "broadcast";
        }

        foreach (var (network, prefix, kind) in BlockedV4)
        {
            if (InRange(address, network, prefix))
            {
                return kind == "loopback" && allowLoopback ? null : kind;
            }
        }

        return null;
    }

    /// <summary>The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address.</summary>
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        if (InRange(address, IPAddress.IPv6Any, 96) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback))
        {
            // Deprecated IPv4-compatible form ::a.b.c.d.
            return new IPAddress(bytes.AsSpan(12, 4));
        }

        if (InRange(address, Nat64, 96))
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }

        if (InRange(address, SixToFour, 16))
        {
            return new IPAddress(bytes.AsSpan(2, 4));
        }

        return null;
    }

    private static bool InRange(IPAddress address, IPAddress network, int prefix)
    {
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        network.TryWriteBytes(n, out _);
        var fullBytes = prefix / 8;
        if (!a[..fullBytes].SequenceEqual(n[..fullBytes]))
        {
            return false;
        }

        var remainingBits = prefix % 8;
        if (remainingBits == 0 || fullBytes >= length)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - remainingBits));
        return (a[fullBytes] & mask) == (n[fullBytes] & mask);
    }
}
