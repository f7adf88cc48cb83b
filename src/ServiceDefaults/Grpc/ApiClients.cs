namespace Ferry.ServiceDefaults.Grpc;

/// <summary>
/// The gateway authenticates internal tools by API key and tells the services behind it which client called, in
/// <see cref="Header"/> (it drops any such header a caller sent). Only for the record (who dismissed a dead job):
/// nothing is authorised by it.
/// </summary>
public static class ApiClients
{
    public const string Header = "x-ferry-api-client";
}
