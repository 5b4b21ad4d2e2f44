using Microsoft.AspNetCore.Http;

namespace SendApi.Api.Features.Messages;

/// <summary>The response header that tells a client its retry created nothing (as Stripe and Postmark name it).</summary>
internal static class IdempotencyHeaders
{
    public const string Replayed = "Idempotent-Replayed";

    public static void MarkReplayed(HttpContext context, bool replayed)
    {
        if (replayed)
        {
            context.Response.Headers[Replayed] = "true";
        }
    }
}
