using System.Net;
using MimeKit;
using SendApi.Core.Messages;
using SendApi.Delivery.Attempts;
using SendApi.Delivery.Transport;

namespace SendApi.Delivery.Routing;

/// <summary>
/// One SMTP transaction to a domain (RFC 5321 §5.1): its MX hosts in preference order, each of
/// their addresses in turn, until one answers the transaction. Returns one reply per recipient.
/// </summary>
internal sealed class MxRouter(MxResolver resolver, AddressResolver addresses, SmtpTransport transport)
{
    // How far one transaction searches for a host that answers. Every MX host costs an address
    // lookup (seconds when its DNS fails) and every address that doesn't answer a connect timeout
    // (30 s by default), so a domain with a long list of dead ones (broken, or made so by whoever
    // controls a recipient's domain) would hold a delivery worker for hours. Past either bound the
    // attempt is deferred with the last answer, and retried as usual. Postfix stops at 5 addresses
    // (smtp_mx_address_limit); these are wider.
    internal const int MaxHostsLookedUp = 20;
    internal const int MaxAddressesTried = 10;

    public async Task<(IReadOnlyList<SmtpReply> Replies, string? Via)> SendAsync(
        string domain, OutgoingBody body, MailboxAddress sender, IReadOnlyList<MailboxAddress> recipients, bool requireTls, CancellationToken cancellationToken)
    {
        var resolution = await resolver.ResolveAsync(domain, cancellationToken);
        if (resolution is MxResolution.Failure failure)
        {
            return (Same(failure.Reply, recipients.Count), null);
        }

        var hosts = ((MxResolution.Hosts)resolution).List;
        SmtpReply? last = null;
        var tried = 0;
        foreach (var host in hosts.Take(MaxHostsLookedUp))
        {
            IReadOnlyList<IPAddress> hostAddresses;
            try
            {
                hostAddresses = await addresses.ResolveAsync(host.Name, cancellationToken);
            }
            catch (DnsLookupException ex)
            {
                last = new SmtpReply(451, "4.4.3", ex.Message);
                continue;
            }

            if (hostAddresses.Count == 0)
            {
                last = host.Implicit
                    ? new SmtpReply(550, "5.1.2", $"Domain {domain} has neither MX nor address records")
                    : new SmtpReply(451, "4.4.3", $"MX host {host.Name} has no address records");
                continue;
            }

            foreach (var address in hostAddresses)
            {
                var result = await transport.SendAsync(host.Name, address, body, sender, recipients, requireTls, cancellationToken);
                if (result is TransportResult.Answered answered)
                {
                    return (answered.Replies, answered.Via);
                }

                last = ((TransportResult.HostUnavailable)result).Reply;
                if (++tried >= MaxAddressesTried)
                {
                    return (Same(last, recipients.Count), null);
                }
            }
        }

        // No host took the transaction: the last one's answer decides, as Postfix does. A refused
        // connection or a 4xx is retried; a 5xx greeting, or a domain without MX whose own name
        // has no address, is permanent.
        return (Same(last ?? new SmtpReply(451, "4.4.1", $"No MX host of {domain} could be tried"), recipients.Count), null);
    }

    private static SmtpReply[] Same(SmtpReply reply, int count) => Enumerable.Repeat(reply, count).ToArray();
}
