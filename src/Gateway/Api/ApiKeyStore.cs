using System.Security.Cryptography;
using System.Text;

namespace Ferry.Gateway.Api;

/// <summary>
/// API keys for the Sync API, stored only as SHA-256 hashes: <c>Gateway:ApiKeys:&lt;client name&gt; = &lt;64 hex digits&gt;</c>
/// (the operator keys of the status page likewise under <c>Operator:Keys</c>).
/// A presented key is hashed and compared with every stored hash in constant time.
/// </summary>
public sealed class ApiKeyStore
{
    public const string Section = "Gateway:ApiKeys";

    private readonly (string Client, byte[] Hash)[] _keys;

    public ApiKeyStore(IConfiguration configuration, string section = Section)
    {
        var keys = new List<(string, byte[])>();
        foreach (var entry in configuration.GetSection(section).GetChildren())
        {
            if (string.IsNullOrWhiteSpace(entry.Value))
            {
                continue;
            }

            var hex = entry.Value.Trim();
            if (hex.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
            {
                hex = hex["sha256:".Length..];
            }

            if (hex.Length != SHA256.HashSizeInBytes * 2 || !hex.All(char.IsAsciiHexDigit))
            {
                // The key itself is never echoed, only where it is configured.
                throw new InvalidOperationException(
                    $"{section}:{entry.Key} must be the SHA-256 of the API key as 64 hex digits (e.g. `printf %s \"$KEY\" | sha256sum`).");
            }

            keys.Add((entry.Key, Convert.FromHexString(hex)));
        }

        _keys = [.. keys];
    }

    public int Count => _keys.Length;

    /// <summary>The client owning <paramref name="presentedKey"/>, or null.</summary>
    public string? FindClient(string presentedKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey), hash);
        string? client = null;
        foreach (var (name, stored) in _keys)
        {
            // No early exit: the time taken does not depend on which entry matched.
            if (CryptographicOperations.FixedTimeEquals(hash, stored))
            {
                client ??= name;
            }
        }

        return client;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
