using System.Text.Json;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Extensions;

namespace Ferry.Sandbox.Contracts;

/// <summary>
/// Validates JSON request bodies against the vendor's OpenAPI request schema and answers 400 with the
/// validator's reasons, as the real API would reject them. Operations whose OpenAPI entry declares no
/// body (a documented defect, e.g. identities and uploads) are checked by the handlers instead.
/// </summary>
public sealed class RequestValidationFilter(SandboxOptions options, string vendor) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (!options.ValidateRequests || request.Method is not ("POST" or "PUT") || request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return await next(context);
        }

        var contract = OpenApiContract.ForVendor(vendor);
        var path = request.Path.Value![(vendor.Length + 1)..];
        var schema = contract.RequestSchema(request.Method, path);
        if (schema is null)
        {
            return await next(context);
        }

        request.EnableBuffering();
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            return Reject($"The request body is not valid JSON: {e.Message}");
        }
        finally
        {
            request.Body.Position = 0;
        }

        using (document)
        {
            var results = OpenApiContract.Evaluate(schema, document.RootElement);
            if (!results.IsValid)
            {
                return Reject($"The request does not match the {vendor} API schema for {request.Method} {contract.Template(request.Method, path)}: "
                    + string.Join("; ", OpenApiContract.Errors(results).Distinct().Take(8)));
            }
        }

        return await next(context);
    }

    private IResult Reject(string reason) => vendor == "intercom"
        ? VendorErrors.IntercomBadRequest(reason)
        : VendorErrors.ZendeskBadRequest(reason);
}
