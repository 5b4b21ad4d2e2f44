using System.Globalization;
using System.Text.RegularExpressions;
using SendApi.Core.Messages;
using SendApi.Core.Suppressions;
using SendApi.Inbound;

namespace SendApi.Api.Features.Inbound;

/// <summary>
/// Writes what a bounce or a complaint says onto the message it came back for: a hard bounce makes
/// the recipient <c>bounced</c> and suppresses the address, a soft one only adds to the timeline
/// (a soft report after a 250 is news, not a new state), a complaint adds a <c>complained</c>
/// event and suppresses the address. Suppressions are written first: they are idempotent, so a
/// retry after a failed timeline write repeats nothing that matters.
/// </summary>
internal sealed partial class InboundRecorder(IMessageStore messages, ISuppressionStore suppressions, TimeProvider time)
{
    /// <param name="recipientIndex">From the return path: the recipient, or null when the transaction carried several.</param>
    /// <returns>False when the message is no longer stored.</returns>
    public async Task<bool> RecordAsync(string messageId, int? recipientIndex, InboundReport report, CancellationToken cancellationToken)
    {
        if (await messages.FindAsync(messageId, cancellationToken) is not { } message)
        {
            return false;
        }

        var now = time.GetUtcNow();
        var updates = new List<RecipientUpdate>();
        var events = new List<MessageEvent>();
        var suppress = new List<Suppression>();
        switch (report)
        {
            case Bounce bounce:
                foreach (var (index, entry) in Match(message.Envelope, recipientIndex, bounce.Recipients))
                {
                    Bounced(message, index, entry, now, updates, events, suppress);
                }

                break;
            case Complaint complaint:
                Complained(message, recipientIndex, complaint, now, events, suppress);
                break;
        }

        if (events.Count == 0)
        {
            return true;
        }

        foreach (var suppression in suppress)
        {
            await suppressions.AddAsync(message.Envelope.AccountId, suppression, cancellationToken);
        }

        return await messages.RecordAsync(messageId, updates, events, cancellationToken);
    }

    private static void Bounced(
        StoredMessage message, int index, BouncedRecipient entry, DateTimeOffset now,
        List<RecipientUpdate> updates, List<MessageEvent> events, List<Suppression> suppress)
    {
        var address = message.Envelope.Recipients[index].Address;
        var reply = ParseReply(entry.DiagnosticCode, entry.Status);
        var facts = string.Join("; ", new[] { entry.Reason, entry.Status is null ? null : $"status {entry.Status}", entry.DiagnosticCode, entry.RemoteMta is null ? null : $"reported by {entry.RemoteMta}" }.Where(f => !string.IsNullOrEmpty(f)));
        if (entry.Kind == BounceKind.Soft)
        {
            events.Add(new MessageEvent(MessageEventTypes.Deferred, now, address, $"soft bounce: {facts}", reply));
            return;
        }

        var hard = entry.Kind == BounceKind.Hard;
        events.Add(new MessageEvent(MessageEventTypes.Bounced, now, address, $"{(hard ? "hard" : "unclassified")} bounce: {facts}", reply));
        updates.Add(new RecipientUpdate(index, message.Recipients[index] with
        {
            Status = RecipientStatus.Bounced,
            LastReply = reply ?? message.Recipients[index].LastReply,
            NextAttemptAt = null,
            UpdatedAt = now,
        }));

        // An unclassified permanent failure bounces this message but says nothing sure about the address.
        if (hard)
        {
            suppress.Add(new Suppression(SuppressionAddresses.Normalize(address), SuppressionReasons.HardBounce,
                entry.DiagnosticCode ?? entry.Reason, message.Envelope.Id, now));
        }
    }

    private static void Complained(
        StoredMessage message, int? recipientIndex, Complaint complaint, DateTimeOffset now,
        List<MessageEvent> events, List<Suppression> suppress)
    {
        var recipients = message.Envelope.Recipients;
        var index = recipientIndex is { } i && i < recipients.Count ? i
            : complaint.OriginalRecipient is { } original && IndexOf(recipients, original) is { } found ? found
            : recipients.Count == 1 ? 0
            : (int?)null;
        var address = index is { } at ? recipients[at].Address : null;
        var detail = string.Join("; ", new[]
        {
            $"feedback: {complaint.FeedbackType ?? "unspecified"}",
            complaint.UserAgent is null ? null : $"from {complaint.UserAgent}",
            complaint.SourceIp is null ? null : $"source ip {complaint.SourceIp}",
        }.Where(f => f is not null));
        events.Add(new MessageEvent(MessageEventTypes.Complained, now, address, detail));
        if (address is not null)
        {
            suppress.Add(new Suppression(SuppressionAddresses.Normalize(address), SuppressionReasons.Complaint,
                complaint.FeedbackType ?? "complaint", message.Envelope.Id, now));
        }
    }

    /// <summary>
    /// Which envelope recipient each failure or delay is about. A return path naming one recipient
    /// settles it (the report's entry for that address, else its first failure); otherwise each
    /// entry is matched on Final-Recipient or Original-Recipient. Success entries are skipped.
    /// </summary>
    private static IEnumerable<(int Index, BouncedRecipient Entry)> Match(MessageEnvelope envelope, int? recipientIndex, IReadOnlyList<BouncedRecipient> entries)
    {
        var reportable = entries.Where(e => e.Kind != BounceKind.Unknown || e.Action.Equals("failed", StringComparison.OrdinalIgnoreCase)).ToList();
        if (recipientIndex is { } index)
        {
            if (index >= envelope.Recipients.Count)
            {
                yield break;
            }

            var address = envelope.Recipients[index].Address;
            var entry = reportable.FirstOrDefault(e => SameAddress(e.FinalRecipient, address) || SameAddress(e.OriginalRecipient, address))
                ?? reportable.FirstOrDefault(e => e.Kind == BounceKind.Hard)
                ?? reportable.FirstOrDefault();
            if (entry is not null)
            {
                yield return (index, entry);
            }

            yield break;
        }

        var seen = new HashSet<int>();
        foreach (var entry in reportable)
        {
            var found = (entry.OriginalRecipient is { } original ? IndexOf(envelope.Recipients, original) : null)
                ?? (entry.FinalRecipient is { } final ? IndexOf(envelope.Recipients, final) : null);
            if (found is { } at && seen.Add(at))
            {
                yield return (at, entry);
            }
        }
    }

    private static int? IndexOf(IReadOnlyList<RecipientAddress> recipients, string address)
    {
        for (var i = 0; i < recipients.Count; i++)
        {
            if (SameAddress(address, recipients[i].Address))
            {
                return i;
            }
        }

        return null;
    }

    private static bool SameAddress(string? reported, string address) =>
        reported is not null && Bare(reported).Equals(address, StringComparison.OrdinalIgnoreCase);

    /// <summary>"rfc822; &lt;Bob@x&gt;" → "Bob@x".</summary>
    private static string Bare(string address)
    {
        var value = address.Trim();
        if (value.StartsWith("rfc822;", StringComparison.OrdinalIgnoreCase))
        {
            value = value["rfc822;".Length..].Trim();
        }

        return value.Trim('<', '>', ' ');
    }

    /// <summary>The SMTP reply inside a diagnostic such as "smtp; 550 5.1.1 &lt;x@y&gt;: User unknown".</summary>
    internal static SmtpReply? ParseReply(string? diagnostic, string? status)
    {
        if (diagnostic is null || DiagnosticReply().Match(diagnostic) is not { Success: true } match)
        {
            return null;
        }

        var code = int.Parse(match.Groups["code"].Value, CultureInfo.InvariantCulture);
        var enhanced = match.Groups["enhanced"].Success ? match.Groups["enhanced"].Value : status;
        return new SmtpReply(code, enhanced, diagnostic[match.Length..].Trim());
    }

    // The type, code and enhanced code; the text after them is taken as it is, so that the regex
    // never walks a long diagnostic (the inbound readers cut fields at a few KB anyway).
    [GeneratedRegex(@"^\s*(?:[a-z-]+;\s*)?(?<code>[245][0-9][0-9])[ -]+(?:(?<enhanced>[245]\.[0-9]{1,3}\.[0-9]{1,3})\s*)?", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex DiagnosticReply();
}
