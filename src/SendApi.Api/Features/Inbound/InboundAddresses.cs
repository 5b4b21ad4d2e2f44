using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Features.Submission;
using SendApi.Api.Features.Tracking;
using SendApi.Core.Domains;
using SendApi.Core.Messages;
using SendApi.Delivery;
using SendApi.Delivery.ReturnPaths;

namespace SendApi.Api.Features.Inbound;

/// <summary>
/// Which port-25 recipients are ours, and what each one is:
/// <list type="bullet">
/// <item>the return path of a message we still hold, whose signature matches (or, unsigned, of a
/// message created before signing began);</item>
/// <item>the mailto unsubscribe address of a message we still hold
/// (<c>unsubscribe+{token}@{return-path domain}</c>), whose token verifies;</item>
/// <item>any address at an inbound domain;</item>
/// <item>the postmaster (RFC 5321 §4.5.1): bare, or at any of our domains (the return-path domain,
/// the inbound domains, our host name). Its mail is the operator's: the admin account's.</item>
/// </list>
/// Domains are compared in their one canonical spelling (<see cref="DomainNames.TryNormalize"/>,
/// UTS #46 mapping), and the address is stored in that spelling: a look-alike spelling of one of
/// our domains (fullwidth letters, an ideographic full stop) is mapped to it, and any other
/// spelling is not ours.
/// </summary>
internal sealed class InboundAddresses(
    IMessageStore messages,
    ReturnPathSigning signing,
    TrackingSigning tracking,
    IOptions<DeliveryOptions> delivery,
    IOptions<InboundOptions> inbound,
    IOptions<SmtpOptions> smtp)
{
    private const string Postmaster = "postmaster";

    private readonly string? _returnPathDomain = Canonical(delivery.Value.ReturnPathDomain);

    // The name the listener gives itself (Smtp:Hostname, else Delivery:HeloName), as the host does.
    private readonly string? _hostName = Canonical(smtp.Value.Hostname is { Length: > 0 } name ? name : delivery.Value.HeloName);

    public async Task<InboundTarget> ResolveAsync(string address, CancellationToken cancellationToken)
    {
        if (address.Equals(Postmaster, StringComparison.OrdinalIgnoreCase))
        {
            return new MailboxTarget(address, AdminKeyBootstrap.AccountId);
        }

        var at = address.LastIndexOf('@');
        if (at <= 0 || !DomainNames.TryNormalize(address[(at + 1)..], out var domain))
        {
            return InboundTarget.NotOurs;
        }

        var canonical = $"{address[..at]}@{domain}";
        var owner = inbound.Value.Owners.GetValueOrDefault(domain);
        if (address[..at].Equals(Postmaster, StringComparison.OrdinalIgnoreCase) && (domain == _returnPathDomain || domain == _hostName || owner is not null))
        {
            return new MailboxTarget(canonical, AdminKeyBootstrap.AccountId);
        }

        if (domain == _returnPathDomain)
        {
            return UnsubscribeAddress.TryGetToken(address[..at], out var token)
                ? await UnsubscribeAsync(canonical, token, cancellationToken)
                : await ReturnPathAsync(canonical, cancellationToken);
        }

        return owner is not null ? new MailboxTarget(canonical, owner) : InboundTarget.NotOurs;
    }

    /// <summary>The message and recipients a return path names, once its signature is checked; an unknown mailbox otherwise.</summary>
    private async Task<InboundTarget> ReturnPathAsync(string address, CancellationToken cancellationToken)
    {
        if (!ReturnPath.TryDecode(address, out var decoded))
        {
            return InboundTarget.UnknownMailbox;
        }

        // A forged recipient index costs one HMAC, and no lookup.
        var keys = await signing.GetAsync(cancellationToken);
        if (decoded is { Signature: not null, RecipientIndex: not null } && !decoded.IsSignedBy(keys.Key))
        {
            return InboundTarget.UnknownMailbox;
        }

        if (await messages.FindAsync(decoded.MessageId, cancellationToken) is not { } message
            || (decoded.RecipientIndex is { } index && index >= message.Envelope.Recipients.Count))
        {
            return InboundTarget.UnknownMailbox;
        }

        var scope = Scope(decoded, message.Envelope, keys);
        return scope is null ? InboundTarget.UnknownMailbox : new ReturnPathTarget(address, message, scope);
    }

    /// <summary>The message and recipient an unsubscribe address names, once its token is checked; an unknown mailbox otherwise.</summary>
    private async Task<InboundTarget> UnsubscribeAsync(string address, string text, CancellationToken cancellationToken)
    {
        // A forged token costs one HMAC, and no lookup.
        if (!TrackingToken.TryDecode(text, await tracking.GetAsync(cancellationToken), out var token) || token.Kind != TokenKind.Unsubscribe)
        {
            return InboundTarget.UnknownMailbox;
        }

        return await messages.FindAsync(token.MessageId, cancellationToken) is { } message && token.Recipient < message.Envelope.Recipients.Count
            ? new UnsubscribeTarget(address, token)
            : InboundTarget.UnknownMailbox;
    }

    private static ReportScope? Scope(ReturnPathAddress decoded, MessageEnvelope envelope, ReturnPathKeys keys)
    {
        if (decoded.Signature is null)
        {
            // Unsigned: only as the messages sent before signing began were, until they expire.
            return envelope.CreatedAt >= keys.SignedSince ? null
                : decoded.RecipientIndex is { } legacy ? ReportScope.Only(legacy)
                : ReportScope.AnyRecipient;
        }

        if (decoded.RecipientIndex is { } index)
        {
            return ReportScope.Only(index);
        }

        // The "several" form is signed for the transaction's recipient domain: find which.
        var recipients = envelope.Recipients;
        return recipients.Select(r => r.Domain).Distinct(StringComparer.Ordinal).FirstOrDefault(d => decoded.IsSignedBy(keys.Key, d)) is { } domain
            ? ReportScope.Of(Enumerable.Range(0, recipients.Count).Where(i => recipients[i].Domain == domain))
            : null;
    }

    private static string? Canonical(string? domain) => DomainNames.TryNormalize(domain, out var name) ? name : null;
}

/// <summary>What a port-25 recipient turned out to be.</summary>
internal abstract record InboundTarget
{
    public static InboundTarget UnknownMailbox { get; } = new UnknownMailboxTarget();

    public static InboundTarget NotOurs { get; } = new NotOursTarget();
}

/// <summary>A mailbox whose mail is stored for <paramref name="Account"/>; <paramref name="Address"/> in its canonical spelling.</summary>
internal sealed record MailboxTarget(string Address, string Account) : InboundTarget;

/// <summary>The return path of a message we sent, and the recipients it was given for.</summary>
internal sealed record ReturnPathTarget(string Address, StoredMessage Message, ReportScope Scope) : InboundTarget;

/// <summary>The mailto unsubscribe address of a message we sent: mail to it unsubscribes the token's recipient.</summary>
internal sealed record UnsubscribeTarget(string Address, TrackingToken Token) : InboundTarget;

/// <summary>At one of our domains, but no mailbox: an invented, tampered or expired return path.</summary>
internal sealed record UnknownMailboxTarget : InboundTarget;

/// <summary>Not one of our domains: accepting it would be relaying.</summary>
internal sealed record NotOursTarget : InboundTarget;
