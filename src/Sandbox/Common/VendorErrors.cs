namespace Ferry.Sandbox.Common;

/// <summary>The two vendors' error bodies.</summary>
public static class VendorErrors
{
    public static IResult Intercom(int status, string code, string message) => SandboxJson.Result(new
    {
        type = "error.list",
        request_id = Guid.NewGuid().ToString("N"),
        errors = new[] { new { code, message } },
    }, status);

    public static IResult IntercomNotFound() => Intercom(404, "not_found", "Resource Not Found");

    public static IResult IntercomBadRequest(string message) => Intercom(400, "parameter_invalid", message);

    public static IResult Zendesk(int status, string error, string? description = null) =>
        SandboxJson.Result(description is null ? new { error } : new { error, description } as object, status);

    public static IResult ZendeskNotFound() => SandboxJson.Result(new { error = "RecordNotFound", description = "Not found" }, 404);

    public static IResult ZendeskBadRequest(string description) => Zendesk(400, "InvalidRequest", description);

    public static IResult ZendeskInvalid(string field, string description) => SandboxJson.Result(new
    {
        error = "RecordInvalid",
        description = "Record validation errors",
        details = new Dictionary<string, object> { [field] = new[] { new { description, error = "InvalidValue" } } },
    }, 422);
}
