namespace Ferry.Cli.Commands;

/// <summary>The exit code of a gateway call: 0, or 1 with the status and its detail when the call was refused.</summary>
internal static class GatewayCall
{
    public static async Task<int> ExitCodeAsync(Func<Task> call, bool json)
    {
        try
        {
            await call();
            return 0;
        }
        catch (RpcException error)
        {
            WriteError(error, json);
            return 1;
        }
    }

    /// <summary>On stderr: readable, or one JSON object (code, detail) with --json.</summary>
    public static void WriteError(RpcException error, bool json) =>
        Console.Error.WriteLine(json
            ? System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["code"] = error.StatusCode.ToString(), ["detail"] = error.Status.Detail })
            : $"{error.StatusCode}: {error.Status.Detail}");

    /// <summary>The reply for scripts (<see cref="WriteJson"/>) with --json, else <paramref name="readable"/> for people.</summary>
    public static void WriteReply(bool json, IEnumerable<IMessage> reply, Action readable)
    {
        if (json)
        {
            WriteJson(reply);
        }
        else
        {
            readable();
        }
    }

    /// <summary>Each message in proto3 JSON, one per line, on stdout.</summary>
    public static void WriteJson(params IEnumerable<IMessage> messages)
    {
        foreach (var message in messages)
        {
            Console.Out.WriteLine(JsonFormatter.Default.Format(message));
        }
    }
}
