using System.Security.Cryptography;

namespace Ferry.Sandbox.Intercom;

/// <summary>
/// Deterministic attachment bytes: byte i of attachment (seed) is a pure function of (seed, i), so any
/// size up to 50 MB is generated on the fly, never stored, and tests can recompute the checksum.
/// </summary>
public static class AttachmentContent
{
    public static void Fill(long seed, long offset, Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            var position = offset + i;
            var word = SplitMix((ulong)seed ^ ((ulong)(position >> 3) * 0x9E3779B97F4A7C15UL));
            destination[i] = (byte)(word >> (int)((position & 7) * 8));
        }
    }

    public static async Task WriteAsync(Stream output, long seed, long size, long bytesPerSecond, CancellationToken ct)
    {
        var chunk = (int)Math.Min(64 * 1024, bytesPerSecond > 0 ? Math.Max(1024, bytesPerSecond / 10) : 64 * 1024);
        var buffer = new byte[chunk];
        for (long offset = 0; offset < size; offset += chunk)
        {
            var n = (int)Math.Min(chunk, size - offset);
            Fill(seed, offset, buffer.AsSpan(0, n));
            await output.WriteAsync(buffer.AsMemory(0, n), ct);
            if (bytesPerSecond > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)n / bytesPerSecond), ct);
            }
        }
    }

    /// <summary>Lower-case hex SHA-256 of the whole attachment, computed by streaming.</summary>
    public static string Sha256(long seed, long size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        for (long offset = 0; offset < size; offset += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, size - offset);
            Fill(seed, offset, buffer.AsSpan(0, n));
            hash.AppendData(buffer, 0, n);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static ulong SplitMix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
