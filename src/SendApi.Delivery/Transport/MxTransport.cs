using SendApi.Core.Messages;
using SendApi.Delivery.Routing;

namespace SendApi.Delivery.Transport;

/// <summary>Sending for real: the recipient domain's MX hosts over SMTP (<see cref="MxRouter"/>).</summary>
internal sealed class MxTransport(MxRouter router) : IDeliveryTransport
{
    public bool UsesDomainLimits => true;

    public Task<(IReadOnlyList<SmtpReply> Replies, string? Via)> SendAsync(OutboundTransaction transaction, CancellationToken cancellationToken) =>
        router.SendAsync(transaction.Domain, transaction.Body, transaction.Sender, transaction.Recipients, transaction.RequireTls, cancellationToken);
}
