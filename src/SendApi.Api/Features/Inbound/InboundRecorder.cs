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
/// A report is acted on only about recipients it may speak of (its return path's), and a
/// complaint only when it quotes the message itself (our Message-ID): anyone can write a report,
/// and one that does not match must never suppress somebody else.
/// </summary>
internal sealed partial class InboundRecorder(IMessageStore messages, ISuppressionStore suppressions, TimeProvider time)
{
    /// <param name="scope">The recipients the report may speak of.</param>
    public async Task<ReportOutcome> RecordAsync(string messageId, ReportScope scope, InboundReport report, CancellationToken cancellationToken)
    {
        if (await messages.FindAsync(messageId, cancellationToken) is not { } message)
        {
            return ReportOutcome.MessageGone;
        }

        var now = time.GetUtcNow();
        var updates = new List<RecipientUpdate>();
        var events = new List<MessageEvent>();
        var suppress = new List<Suppression>();
        switch (report)
        {
            case Bounce bounce:
                var reportable = bounce.Recipients.Where(e => e.Kind != BounceKind.Unknown || e.Action.Equals("failed", StringComparison.OrdinalIgnoreCase)).ToList();
                if (reportable.Count == 0)
                {
                    return ReportOutcome.NothingToRecord;
                }

                foreach (var (index, entry) in Match(message.Envelope, scope, reportable))
                {
                    Bounced(message, index, entry, now, updates, events, suppress);
                }

                break;
            case Complaint complaint when ComplainedAbout(message.Envelope, scope, complaint) is { } index:
                Complained(message, index, complaint, now, events, suppress);
                break;
            case Complaint:
                break;
            default:
                return ReportOutcome.NothingToRecord;
        }

        if (events.Count == 0)
        {
            return ReportOutcome.NotAboutThisMessage;
        }

        if (AlreadyRecorded(message, events, updates))
        {
            // The same report again: its sender retries after a 451 we gave once its record was
            // written (a lost store reply, durability not confirmed). It is acknowledged, not doubled.
            return ReportOutcome.Recorded;
        }

        foreach (var suppression in suppress)
        {
            await suppressions.AddAsync(message.Envelope.AccountId, suppression, cancellationToken);
        }

        return await messages.RecordAsync(messageId, updates, events, cancellationToken) ? ReportOutcome.Recorded : ReportOutcome.MessageGone;
    }

    /// <summary>
    /// True when every event of this report is on the message's timeline already, word for word
    /// but for its time (the same report, retried); then nothing is written, not even the states.
    /// A report that adds anything is recorded whole.
    /// </summary>
    private static bool AlreadyRecorded(StoredMessage message, List<MessageEvent> events, List<RecipientUpdate> updates) =>
        events.All(e => message.Events.Any(seen => seen.Type == e.Type && seen.Recipient == e.Recipient && seen.Detail == e.Detail && seen.Reply == e.Reply))
        && updates.All(u => message.Recipients[u.Index].Status == u.State.Status);

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
        StoredMessage message, int index, Complaint complaint, DateTimeOffset now,
        List<MessageEvent> events, List<Suppression> suppress)
    {
        var address = message.Envelope.Recipients[index].Address;
        var detail = string.Join("; ", new[]
        {
            $"feedback: {complaint.FeedbackType ?? "unspecified"}",
            complaint.UserAgent is null ? null : $"from {complaint.UserAgent}",
            complaint.SourceIp is null ? null : $"source ip {complaint.SourceIp}",
        }.Where(f => f is not null));
        events.Add(new MessageEvent(MessageEventTypes.Complained, now, address, detail));
        suppress.Add(new Suppression(SuppressionAddresses.Normalize(address), SuppressionReasons.Complaint,
            complaint.FeedbackType ?? "complaint", message.Envelope.Id, now));
    }

    /// <summary>
    /// The recipient a complaint is about, when it is about this message: its copy of the
    /// original carries our Message-ID, and the recipient it names (Original-Rcpt-To, else the
    /// original's single To) is one the return path was given for. Providers often redact the
    /// recipient; then the return path's single recipient, or the message's only one, says who.
    /// </summary>
    private static int? ComplainedAbout(MessageEnvelope envelope, ReportScope scope, Complaint complaint)
    {
        if (complaint.OriginalMessageId is not { } quoted || !quoted.Trim().Trim('<', '>').Equals(envelope.MessageIdHeader, StringComparison.Ordinal))
        {
            return null;
        }

        if (complaint.OriginalRecipient is { } named)
        {
            return IndexOf(envelope.Recipients, named) is { } at && scope.Allows(at) ? at : null;
        }

        return scope.Single ?? (envelope.Recipients.Count == 1 && scope.Allows(0) ? 0 : null);
    }

    /// <summary>
    /// Which envelope recipient each failure or delay is about. An entry that names a recipient
    /// (Original-Recipient, else Final-Recipient) counts for that recipient, and only when the
    /// return path was given for it: a report naming anyone else is not acted on. An entry that
    /// names nobody (a plain-text bounce that quotes no address) is about the return path's
    /// recipient, when it was given for one.
    /// </summary>
    private static IEnumerable<(int Index, BouncedRecipient Entry)> Match(MessageEnvelope envelope, ReportScope scope, IReadOnlyList<BouncedRecipient> reportable)
    {
        var seen = new HashSet<int>();
        foreach (var entry in reportable)
        {
            var found = (entry.OriginalRecipient is { } original ? IndexOf(envelope.Recipients, original) : null)
                ?? (entry.FinalRecipient is { } final ? IndexOf(envelope.Recipients, final) : null);
            if (found is { } at && scope.Allows(at) && seen.Add(at))
            {
                yield return (at, entry);
            }
        }

        if (seen.Count == 0 && scope.Single is { } only)
        {
            var unnamed = reportable.Where(e => e.OriginalRecipient is null && e.FinalRecipient is null).ToList();
            if ((unnamed.FirstOrDefault(e => e.Kind == BounceKind.Hard) ?? unnamed.FirstOrDefault()) is { } entry)
            {
                yield return (only, entry);
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

/// <summary>What became of a report.</summary>
internal enum ReportOutcome
{
    /// <summary>Written onto the message.</summary>
    Recorded,

    /// <summary>Nothing in it to record: a success notification, or not a report at all.</summary>
    NothingToRecord,

    /// <summary>It speaks of recipients its return path was not given for, or of another message: not acted on.</summary>
    NotAboutThisMessage,

    /// <summary>The message is no longer stored.</summary>
    MessageGone,
}
