using Ferry.Sandbox.Contracts;
using Ferry.Sandbox.Extensions;

namespace Ferry.Sandbox.Common;

public static class VendorApi
{
    /// <summary>
    /// What every emulated vendor API checks, in the real API's order: credentials (<typeparamref name="TAuth"/>), the
    /// rate limit (<typeparamref name="TRateLimit"/>), then the injected faults and the request against the vendor's OpenAPI.
    /// </summary>
    public static RouteGroupBuilder AddVendorFilters<TAuth, TRateLimit>(this RouteGroupBuilder api, string vendor)
        where TAuth : IEndpointFilter
        where TRateLimit : IEndpointFilter =>
        api.AddEndpointFilter<TAuth>()
            .AddEndpointFilter<TRateLimit>()
            .AddEndpointFilterFactory((factory, next) =>
            {
                var filter = new FaultFilter(factory.ApplicationServices.GetRequiredService<FaultState>(), vendor);
                return context => filter.InvokeAsync(context, next);
            })
            .AddEndpointFilterFactory((factory, next) =>
            {
                var filter = new RequestValidationFilter(factory.ApplicationServices.GetRequiredService<SandboxOptions>(), vendor);
                return context => filter.InvokeAsync(context, next);
            });
}
