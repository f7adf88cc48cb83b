namespace Ferry.Cli.Commands;

/// <summary>The exit code of a gateway call: 0, or 1 with the status and its detail when the call was refused.</summary>
internal static class GatewayCall
{
    public static async Task<int> ExitCodeAsync(Func<Task> call, GatewaySettings settings)
    {
        try
        {
            await call();
            return 0;
        }
        catch (RpcException error)
        {
            WriteError(error, settings);
            return 1;
        }
    }

    /// <summary>
    /// On stderr: readable, or one JSON object (code, detail) with --json. Where the cause is on the caller's side (no
    /// gateway at the address, no or a wrong API key), the message says which setting to change.
    /// </summary>
    public static void WriteError(RpcException error, GatewaySettings settings)
    {
        var detail = error.StatusCode switch
        {
            // The channel's own failure: nothing answered at the address (a gateway's 503 has a detail of its own).
            StatusCode.Unavailable when error.Status.DebugException is System.Net.Sockets.SocketException or HttpRequestException =>
                $"no Ferry gateway answered at {settings.Address} ({error.Status.Detail}). Is it running? Give its gRPC address with --gateway or FERRY_GATEWAY.",
            StatusCode.Unauthenticated => $"{error.Status.Detail} Give the key with --api-key or FERRY_API_KEY.",
            _ => error.Status.Detail,
        };
        Console.Error.WriteLine(settings.Json
            ? System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["code"] = error.StatusCode.ToString(), ["detail"] = detail })
            : $"{error.StatusCode}: {detail}");
    }

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
