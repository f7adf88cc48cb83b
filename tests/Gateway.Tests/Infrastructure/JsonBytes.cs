using System.Text.Json;

namespace Ferry.Gateway.Tests.Infrastructure;

internal static class JsonBytes
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The same JSON value written again (indented): equal as JSON, different as bytes.</summary>
    public static byte[] Reserialise(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        return JsonSerializer.SerializeToUtf8Bytes(document.RootElement, Indented);
    }
}
