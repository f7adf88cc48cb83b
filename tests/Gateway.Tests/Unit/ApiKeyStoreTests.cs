using Ferry.Gateway.Api;
using Microsoft.Extensions.Configuration;

namespace Ferry.Gateway.Tests.Unit;

public sealed class ApiKeyStoreTests
{
    private static ApiKeyStore Store(params (string Client, string Value)[] entries) =>
        new(new ConfigurationBuilder()
            .AddInMemoryCollection(entries.Select(e => new KeyValuePair<string, string?>($"{ApiKeyStore.Section}:{e.Client}", e.Value)))
            .Build());

    [Fact]
    public void Key_is_found_by_its_hash_and_names_its_client()
    {
        var store = Store(("ops-dashboard", ApiKeyStore.Hash("key-one")), ("ferry-cli", "sha256:" + ApiKeyStore.Hash("key-two").ToUpperInvariant()));
        Assert.Equal("ops-dashboard", store.FindClient("key-one"));
        Assert.Equal("ferry-cli", store.FindClient("key-two"));
        Assert.Null(store.FindClient("key-three"));
        Assert.Null(store.FindClient(ApiKeyStore.Hash("key-one")));
    }

    [Fact]
    public void A_plain_key_in_place_of_a_hash_is_a_start_up_error_that_does_not_echo_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Store(("ferry-cli", "plain-secret-value")));
        Assert.Contains("Gateway:ApiKeys:ferry-cli", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("plain-secret-value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_keys_means_nobody_is_authenticated()
    {
        Assert.Null(Store().FindClient("anything"));
    }
}
