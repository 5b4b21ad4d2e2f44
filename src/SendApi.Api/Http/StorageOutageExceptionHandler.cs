using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using SendApi.Core.Storage;

namespace SendApi.Api.Http;

/// <summary>
/// A request that needed the store while it is unreachable is answered <c>503</c> with
/// <c>Retry-After</c>: a client or load balancer retries later, where a 500 would say the request
/// itself broke something. Nothing was stored, so nothing was acknowledged. The outage is logged
/// once by <see cref="IStorageAvailability"/>, not once per request.
/// </summary>
internal sealed class StorageOutageExceptionHandler(IStorageAvailability storage, IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!storage.TryNoteOutage(exception))
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = ((int)storage.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = exception is StorageNotDurableException notDurable
                ? new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "The write is not confirmed durable.",
                    // At-least-once: the message was stored and may well be delivered; a retry with
                    // the same Idempotency-Key is answered for it instead of sending it twice.
                    Detail = notDurable.Message + " The request may have taken effect (a message may still be delivered); " +
                        "try again after the Retry-After delay, with the same Idempotency-Key to avoid a duplicate.",
                }
                : new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "Storage is unavailable.",
                    Detail = "The store does not answer right now; nothing was changed. Try again after the Retry-After delay.",
                },
        });
    }
}
