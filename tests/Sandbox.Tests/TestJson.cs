using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Ferry.Sandbox.Tests;

internal static class TestJson
{
    public static async Task<(HttpResponseMessage Response, JsonNode Body)> SendJsonAsync(this HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is string text ? new StringContent(text, System.Text.Encoding.UTF8, "application/json") : JsonContent.Create(body);
        }

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response, raw.Length == 0 ? new JsonObject() : JsonNode.Parse(raw)!);
    }

    public static Task<(HttpResponseMessage Response, JsonNode Body)> GetJsonAsync(this HttpClient client, string path) => client.SendJsonAsync(HttpMethod.Get, path);

    public static Task<(HttpResponseMessage Response, JsonNode Body)> PostJsonAsync(this HttpClient client, string path, object body) => client.SendJsonAsync(HttpMethod.Post, path, body);

    public static Task<(HttpResponseMessage Response, JsonNode Body)> PutJsonAsync(this HttpClient client, string path, object body) => client.SendJsonAsync(HttpMethod.Put, path, body);

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
