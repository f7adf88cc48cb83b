using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class OptionsExtensions
{
    /// <summary>
    /// Binds <paramref name="section"/> and checks it (data annotations, and every registered
    /// <see cref="IValidateOptions{TOptions}"/>) while the service starts: a wrong setting stops start-up
    /// with its name instead of failing the first request that reads it.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary><see cref="AddValidatedOptions{TOptions}"/> plus <typeparamref name="TValidator"/> for rules across settings.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services.AddValidatedOptions<TOptions>(section);
    }
}
