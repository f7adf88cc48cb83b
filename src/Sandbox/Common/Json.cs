using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Ferry.Sandbox.Common;

/// <summary>JSON conventions shared by both emulated vendors: snake_case names written explicitly, nulls omitted.</summary>
public static class SandboxJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Serialises now, not when the result executes: callers build lazy projections of state under the
    /// state's lock, and serialising after the lock is released races with writers.
    /// </summary>
    public static IResult Result(object value, int status = 200) =>
        Results.Text(JsonSerializer.Serialize(value, Options), "application/json; charset=utf-8", Encoding.UTF8, status);

    /// <summary>Zendesk timestamps: ISO 8601 UTC with seconds.</summary>
    public static string Iso(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    public static string Sha256Hex(string text) => Hex(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Reads the request body as a JSON object, or explains why it is not one.</summary>
    public static async Task<(JsonObject Body, string? Error, string Raw)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var raw = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return ([], "The request body is empty; a JSON object is required.", raw);
        }

        try
        {
            return JsonNode.Parse(raw) is JsonObject obj
                ? (obj, null, raw)
                : ([], "The request body must be a JSON object.", raw);
        }
        catch (JsonException e)
        {
            return ([], $"The request body is not valid JSON: {e.Message}", raw);
        }
    }

    public static string? Str(this JsonObject obj, string name) => obj[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    public static long? Number(this JsonObject obj, string name) => obj[name] switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    public static bool? Bool(this JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
}
