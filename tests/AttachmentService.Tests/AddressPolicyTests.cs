using System.Net;
using Ferry.AttachmentService.Safety;

namespace Ferry.AttachmentService.Tests;

public sealed class AddressPolicyTests
{
    [Theory]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.8.9.10", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("100.64.0.1", "shared (CGNAT)")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::1", "loopback")]
    [InlineData("::", "unspecified")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fd12:3456::1", "unique-local")]
    [InlineData("fc00::1", "unique-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("::10.0.0.1", "private")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")]
    [InlineData("2002:0a00:0001::1", "private")]
    public void Refuses_non_public_addresses(string address, string kind)
    {
        Assert.Equal(kind, new AddressPolicy(allowLoopback: false).Refusal(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700::6810:85e5")]
    [InlineData("::ffff:93.184.216.34")]
    public void Allows_public_addresses(string address)
    {
        Assert.Null(new AddressPolicy(allowLoopback: false).Refusal(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Loopback_only_with_the_explicit_allowance(string address)
    {
        Assert.Null(new AddressPolicy(allowLoopback: true).Refusal(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("fe80::1")]
    [InlineData("0.0.0.0")]
    public void The_loopback_allowance_allows_nothing_else(string address)
    {
        Assert.NotNull(new AddressPolicy(allowLoopback: true).Refusal(IPAddress.Parse(address)));
    }
}
