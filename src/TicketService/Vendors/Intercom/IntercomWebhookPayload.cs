using System.Text.Json;

namespace Ferry.TicketService.Vendors.Intercom;

/// <summary>What an attempt reads from a stored Intercom notification. The gateway verified it; its shape is still the sender's.</summary>
public static class IntercomWebhookPayload
{
    /// <summary>The conversation's first contact (the ticket's requester) as the notification named it; null when it names none.</summary>
    public static string? RequesterId(ReadOnlyMemory<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var first = Child(Child(Child(Child(document.RootElement, "data"), "item"), "contacts"), "contacts");
            if (first.ValueKind != JsonValueKind.Array || first.GetArrayLength() == 0)
            {
                return null;
            }

            return Child(first[0], "id") switch
            {
                { ValueKind: JsonValueKind.String } id => id.GetString() is { Length: > 0 } text ? text : null,
                { ValueKind: JsonValueKind.Number } id => id.GetRawText(),
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement Child(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) ? value : default;
}
