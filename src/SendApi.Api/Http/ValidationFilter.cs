using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SendApi.Api.Http;

public static class ValidationFilterExtensions
{
    /// <summary>
    /// Validates the <typeparamref name="T"/> argument with its FluentValidation validator and
    /// answers 400 with per-field errors; also declares that 400 in the OpenAPI document.
    /// </summary>
    public static RouteHandlerBuilder WithValidation<T>(this RouteHandlerBuilder builder)
        where T : class =>
        builder
            .AddEndpointFilter(async (context, next) =>
            {
                var argument = context.Arguments.OfType<T>().FirstOrDefault();
                if (argument is null)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "A JSON body is required.");
                }

                var validator = context.HttpContext.RequestServices.GetRequiredService<IValidator<T>>();
                var result = await validator.ValidateAsync(argument, context.HttpContext.RequestAborted);
                return result.IsValid
                    ? await next(context)
                    : TypedResults.ValidationProblem(
                        result.ToDictionary(),
                        title: "The request is invalid.",
                        type: "https://tools.ietf.org/html/rfc9110#section-15.5.1");
            })
            .ProducesValidationProblem();
}
