using System.Globalization;
using System.Text.Json;

namespace Ferry.Gateway.Webhooks;

/// <summary>A parsed delivery or the reason (safe to return to the sender: no body content) why not.</summary>
public readonly record struct WebhookParse<T>(T? Value, string? Error)
    where T : class
{
    public bool Succeeded => Value is not null;
}

internal static class Json
{
    /// <summary>Parses the body as a JSON object and hands its root to <paramref name="read"/>; invalid JSON or a non-object fails with the reason.</summary>
    public static WebhookParse<T> ParseObject<T>(ReadOnlyMemory<byte> body, Func<JsonElement, WebhookParse<T>> read)
        where T : class
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return new(null, "body is not valid JSON");
        }

        using (document)
        {
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? read(document.RootElement)
                : new(null, "body is not a JSON object");
        }
    }

    /// <summary>A string or integer property as text (vendors are not consistent about id types).</summary>
    public static string? Id(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() is { Length: > 0 } text ? text : null,
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    public static DateTimeOffset? UnixSeconds(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) && seconds > 0
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    public static DateTimeOffset? Iso8601(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;

    public static JsonElement Child(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) ? value : default;
}
