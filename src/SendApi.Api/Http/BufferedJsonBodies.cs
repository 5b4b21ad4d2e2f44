using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace SendApi.Api.Http;

/// <summary>
/// Reads a declared-length JSON body whole into one pooled array before the endpoint binds it, for
/// the endpoints that take a message (<see cref="WithBufferedJsonBody{TBuilder}"/>). Kestrel hands a
/// body over in 4 KB blocks, and System.Text.Json reads a string that spans blocks on its slow
/// multi-segment path: for a 100 KB text or html body that was the largest single cost of
/// POST /messages in a profile (<c>Utf8JsonReader.ConsumeStringAndValidateMultiSegment</c>, about
/// 9 % of SendApi's CPU). From one array the reader takes its fast single-span path; the copy into
/// the array is a memmove.
/// <para>
/// Nothing a client sees changes: the body is read only once authentication, authorization and
/// the rate limit have let the request through (as binding read it), it is held to the same limit
/// (a longer declared body was refused by <see cref="RequestSizeProblemMiddleware"/>), and a body
/// that cannot be read (the client declared more than it sent) is answered as the framework's
/// binding answers it. A body without a declared length (chunked, as .NET's <c>PostAsJsonAsync</c>
/// sends) is read into an array that grows; Kestrel's limit stops it while it is read, and the
/// 413 is the one binding met. A body that is not JSON (the endpoint answers 415 without reading
/// it) or is in another charset is left to the endpoint as before.
/// </para>
/// </summary>
public static class BufferedJsonBodies
{
    /// <summary>Marks endpoints (or a group) whose JSON body is read whole before binding.</summary>
    public static TBuilder WithBufferedJsonBody<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(BufferedJsonBody.Instance);

    /// <summary>After authorization and the rate limit: an unauthenticated client makes nothing read.</summary>
    public static IApplicationBuilder UseBufferedJsonBodies(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (!Applies(context, out var declared))
            {
                await next(context);
                return;
            }

            byte[] array;
            int length;
            try
            {
                (array, length) = await ReadAsync(context.Request.BodyReader, declared, context.RequestAborted);
            }
            catch (BadHttpRequestException ex)
            {
                // As binding answered a body it could not read (too large while read, shorter than
                // declared): that status, made a problem by StatusCodeProblems; the endpoint does not run.
                context.Response.StatusCode = ex.StatusCode;
                return;
            }
            catch (IOException)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var request = context.Features.GetRequiredFeature<IHttpRequestFeature>();
            var pipe = context.Features.Get<IRequestBodyPipeFeature>();
            var originalBody = request.Body;
            request.Body = new MemoryStream(array, 0, length, writable: false);
            context.Features.Set<IRequestBodyPipeFeature>(new BufferedBody(PipeReader.Create(new ReadOnlySequence<byte>(array, 0, length))));
            try
            {
                await next(context);
            }
            finally
            {
                // Whatever was bound copied what it kept (strings, BodyContent's own arrays): once
                // the endpoint has answered, nothing reads this array.
                request.Body = originalBody;
                context.Features.Set(pipe);
                Pool.Return(array);
            }
        });

    /// <summary>
    /// Its own pool rather than the shared one: with 32 requests of 100 KB in flight, the shared
    /// pool's 128 KB arrays already hold each request's body (BodyContent) and its MIME
    /// (MimeBuffer), about as many as it keeps; a third array per request would have been new
    /// ones. Arrays up to 512 KB are kept, at most 32 of a size (about 32 MB were every size held at
    /// once); a larger body gets an array of its own.
    /// </summary>
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(512 * 1024, 32);

    // A chunked body's first array; it doubles as the body turns out longer (bounded by the limit).
    private const int FirstChunkedArray = 16 * 1024;

    /// <param name="declared">The Content-Length, or null for a chunked body (the limit then applies while reading).</param>
    private static bool Applies(HttpContext context, out long? declared)
    {
        declared = context.Request.ContentLength;
        if (context.GetEndpoint()?.Metadata.GetMetadata<BufferedJsonBody>() is null
            || declared == 0
            || !context.Request.HasJsonContentType()
            || !IsUtf8(context.Request.ContentType)
            || context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return false;
        }

        // Over the limit was refused before (RequestSizeProblemMiddleware). Without a limit (an
        // operator's choice) a chunked body could be of any length: it is left to the endpoint.
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return declared is { } length
            ? length <= (limit ?? Array.MaxLength) && length <= Array.MaxLength
            : limit is not null;
    }

    /// <summary>No charset, or UTF-8: the form read without transcoding.</summary>
    private static bool IsUtf8(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (type.Charset.Length == 0 || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The whole body, in an array of <see cref="Pool"/>. Kestrel throws <see cref="BadHttpRequestException"/>
    /// when a chunked body passes the limit or the client ends a declared one early.
    /// </summary>
    private static async Task<(byte[] Array, int Length)> ReadAsync(PipeReader reader, long? declared, CancellationToken cancellationToken)
    {
        var array = Pool.Rent(declared is { } length ? (int)length : FirstChunkedArray);
        var filled = 0;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                if (buffer.Length > (declared ?? Array.MaxLength) - filled)
                {
                    // Kestrel frames a body by its Content-Length and never hands over more.
                    reader.AdvanceTo(buffer.Start);
                    throw new InvalidOperationException($"The request body is longer than its Content-Length ({declared}).");
                }

                if (buffer.Length > array.Length - filled)
                {
                    array = Grow(array, filled, filled + (int)buffer.Length);
                }

                buffer.CopyTo(array.AsSpan(filled));
                filled += (int)buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || filled == declared)
                {
                    break;
                }
            }

            if (declared is { } expected && filled != expected)
            {
                throw new BadHttpRequestException("Unexpected end of request content.", StatusCodes.Status400BadRequest);
            }

            return (array, filled);
        }
        catch
        {
            Pool.Return(array);
            throw;
        }
    }

    private static byte[] Grow(byte[] array, int filled, int needed)
    {
        var grown = Pool.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, array.Length * 2L)));
        array.AsSpan(0, filled).CopyTo(grown);
        Pool.Return(array);
        return grown;
    }

    private sealed class BufferedJsonBody
    {
        public static readonly BufferedJsonBody Instance = new();
    }

    private sealed class BufferedBody(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader { get; } = reader;
    }
}
