using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MimeKit;
using SendApi.Core.Messages;
using SendApi.Core.Storage;

namespace SendApi.Delivery.Attempts;

/// <summary>
/// The first steps of an attempt: each body the due recipients receive (the base, and each variant
/// one of them has) read from its stored bytes and signed, once per attempt and before the first
/// transaction, so that every domain that receives a body receives the same signed bytes.
/// </summary>
internal sealed class MessageBodies(IMessageSigner signer, IStorageAvailability storage, TimeProvider time, ILogger<MessageDelivery> logger)
{
    /// <summary>
    /// How long an attempt waits for a store that is down to read a signing key, trying again every
    /// <see cref="StoreRetry"/>: a short outage (a restart, a failover) costs the message a pause,
    /// not a trip back through the queue and a new delivery job.
    /// </summary>
    internal static readonly TimeSpan StoreRideOut = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan StoreRetry = TimeSpan.FromMilliseconds(500);

    /// <exception cref="OperationCanceledException">Cancelled while signing, before anything was sent.</exception>
    public async Task<PreparedBodies> PrepareAsync(DeliveryWork work, IReadOnlyList<int> due, CancellationToken cancellationToken)
    {
        var signed = new Dictionary<int, OutgoingBody>();
        var errors = new Dictionary<int, string>();
        var waiting = new HashSet<int>();
        foreach (var variant in due.Select(work.VariantOf).Distinct())
        {
            if (!TryParse(work.Body(variant), out var message, out var error))
            {
                errors[variant] = error;
                continue;
            }

            OutgoingBody body;
            try
            {
                if (!await SignWhenTheStoreAnswersAsync(message, work.Envelope, cancellationToken))
                {
                    // The signing key could not be read because the store stayed down (the outage is
                    // logged once by the store): this body's recipients wait for it rather than receive
                    // mail their domain's DKIM policy may reject; nothing is sent to them in this attempt.
                    waiting.Add(variant);
                    message.Dispose();
                    continue;
                }

                body = OutgoingBody.Of(message, work.Body(variant));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Anything else is not going to mend by waiting: an unsigned message still beats no
                // message; the error says why it went unsigned.
                MessageDeliveryLog.LogSigningFailed(logger, ex, work.Envelope.Id);
                // The signer may have prepared the message before it failed: it no longer matches the stored bytes.
                body = OutgoingBody.Parsed(message);
            }

            signed[variant] = body;
        }

        return new PreparedBodies(
            signed,
            [.. due.Where(i => signed.ContainsKey(work.VariantOf(i)))],
            [.. due.Where(i => errors.ContainsKey(work.VariantOf(i))).Select(i => (i, errors[work.VariantOf(i)]))],
            [.. due.Where(i => waiting.Contains(work.VariantOf(i)))]);
    }

    /// <summary>Signs; false when the store was down for all of <see cref="StoreRideOut"/>. Anything else throws.</summary>
    private async Task<bool> SignWhenTheStoreAnswersAsync(MimeMessage message, MessageEnvelope envelope, CancellationToken cancellationToken)
    {
        var giveUpAt = time.GetUtcNow() + StoreRideOut;
        while (true)
        {
            try
            {
                // Reading the key comes before anything changes the message, so trying again is safe.
                await signer.SignAsync(message, envelope, cancellationToken);
                return true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && storage.TryNoteOutage(ex))
            {
                if (time.GetUtcNow() >= giveUpAt)
                {
                    return false;
                }
            }

            await Task.Delay(StoreRetry, time, cancellationToken);
        }
    }

    /// <summary>
    /// Parses the stored bytes without copying the parts' content: a persistent parse leaves each
    /// part's content as a window on the stored bytes (which stay referenced by the message, so the
    /// stream is not disposed), where a plain parse copied every body into pooled blocks once more
    /// per attempt (8 % of what a 100 KB message allocated, by an allocation profile). The buffer
    /// is visible so that <see cref="UnchangedByPrepare"/> can find each part's content in it.
    /// </summary>
    internal static bool TryParse(ReadOnlyMemory<byte> mime, out MimeMessage message, out string error)
    {
        var stream = MemoryMarshal.TryGetArray(mime, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false, publiclyVisible: true)
            : new MemoryStream(mime.ToArray(), writable: false);
        try
        {
            message = MimeParsers.Load(stream, persistent: true);
            error = "";
            return true;
        }
        catch (FormatException ex)
        {
            message = null!;
            error = ex.Message;
            return false;
        }
    }
}
