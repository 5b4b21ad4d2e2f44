using SendApi.Core.Messages;

namespace SendApi.Delivery.Transport;

internal abstract record TransportResult
{
    /// <summary>This host could not take the message (no connection, refused greeting, TLS or EHLO failure): try the next one.</summary>
    internal sealed record HostUnavailable(SmtpReply Reply) : TransportResult;

    /// <summary>The host answered the transaction: one reply per recipient, in the order given.</summary>
    /// <param name="Via">Where and how it went, for the timeline: "mx.example.com[192.0.2.1]:25 TLSv1.3".</param>
    internal sealed record Answered(IReadOnlyList<SmtpReply> Replies, string Via) : TransportResult;
}
