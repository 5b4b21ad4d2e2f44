using DnsClient;
using DnsClient.Protocol;
using SendApi.Core.Domains;

namespace SendApi.Api.Features.Domains.Verification;

/// <summary>
/// Asks DNS, through the resolver delivery uses (<c>Dns__Servers</c>, <c>Dns__Timeout</c>), whether
/// a record is published as SendApi expects. Always a fresh question: someone who has just fixed a
/// record and presses "verify" must not be answered from a cache.
/// </summary>
internal sealed class DnsRecordChecker(ILookupClient dns)
{
    private readonly DnsQueryAndServerOptions _uncached = Uncached(dns);

    public async Task<RecordCheck> CheckAsync(ExpectedRecord expected, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var type = expected.Type == "MX" ? QueryType.MX : QueryType.TXT;
        IDnsQueryResponse response;
        try
        {
            response = await dns.QueryAsync(new DnsQuestion(expected.Name, type, QueryClass.IN), _uncached, cancellationToken);
        }
        catch (DnsResponseException ex)
        {
            return Error(expected, $"The DNS query failed: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Error(expected, "No DNS answer within Dns:Timeout.");
        }

        // NXDOMAIN is an answer ("no such name"); SERVFAIL, REFUSED and the like are not.
        if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
        {
            return Error(expected, $"The DNS server answered {response.Header.ResponseCode} ({response.ErrorMessage}); nothing can be concluded until it answers.");
        }

        var (status, found, detail) = expected.Purpose switch
        {
            RecordPurposes.Dkim => Dkim(expected, Texts(response)),
            RecordPurposes.Spf => Spf(expected, Texts(response)),
            RecordPurposes.ReturnPathMx => Mx(expected, [.. response.Answers.MxRecords().Select(r => r.Exchange.Value.TrimEnd('.'))]),
            RecordPurposes.Dmarc => Dmarc(expected, Texts(response)),
            var other => throw new ArgumentException($"No check for a '{other}' record.", nameof(expected)),
        };
        return new RecordCheck(expected.Purpose, expected.Type, expected.Name, status, found, detail, status == RecordStatuses.Verified ? now : null);
    }

    /// <summary>Each TXT record as one string: a record longer than 255 octets arrives as several character-strings, joined by receivers.</summary>
    private static List<string> Texts(IDnsQueryResponse response) =>
        [.. response.Answers.TxtRecords().Select(r => string.Concat(r.Text))];

    private static (string, IReadOnlyList<string>, string?) Dkim(ExpectedRecord expected, List<string> texts)
    {
        if (texts.Count == 0)
        {
            return (RecordStatuses.Missing, texts, $"No TXT record at {expected.Name}.");
        }

        if (texts.Count > 1)
        {
            return (RecordStatuses.Mismatch, texts, $"{texts.Count} TXT records at {expected.Name}; a receiver needs exactly one, the one given here.");
        }

        var key = Tag(texts[0], "p");
        return key is not null && string.Concat(key.Where(c => !char.IsWhiteSpace(c))) == expected.Required
            ? (RecordStatuses.Verified, texts, null)
            : (RecordStatuses.Mismatch, texts, key is null
                ? "The record has no p= (public key) tag."
                : "The record's p= is another public key than this domain's (an old key, or a copy cut short?).");
    }

    private static (string, IReadOnlyList<string>, string?) Spf(ExpectedRecord expected, List<string> texts)
    {
        // RFC 7208 §4.5: only records that start with "v=spf1" count, and more than one is a permanent error.
        var spf = texts.Where(t => t.Equals("v=spf1", StringComparison.OrdinalIgnoreCase) || t.StartsWith("v=spf1 ", StringComparison.OrdinalIgnoreCase)).ToList();
        if (spf.Count == 0)
        {
            return (RecordStatuses.Missing, spf, $"No SPF record (TXT starting with v=spf1) at {expected.Name}.");
        }

        if (spf.Count > 1)
        {
            return (RecordStatuses.Mismatch, spf, $"{spf.Count} SPF records at {expected.Name}: receivers treat that as an error (RFC 7208 §4.5); merge them into one.");
        }

        var terms = spf[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return terms.Any(t => t.TrimStart('+').Equals(expected.Required, StringComparison.OrdinalIgnoreCase))
            ? (RecordStatuses.Verified, spf, null)
            : (RecordStatuses.Mismatch, spf, $"The SPF record does not contain {expected.Required}.");
    }

    private static (string, IReadOnlyList<string>, string?) Mx(ExpectedRecord expected, List<string> hosts)
    {
        if (hosts.Count == 0)
        {
            return (RecordStatuses.Missing, hosts, $"No MX record at {expected.Name}: bounces to the return path cannot reach SendApi.");
        }

        return hosts.Any(h => h.Equals(expected.Required, StringComparison.OrdinalIgnoreCase))
            ? (RecordStatuses.Verified, hosts, null)
            : (RecordStatuses.Mismatch, hosts, $"No MX record at {expected.Name} points at {expected.Required}.");
    }

    private static (string, IReadOnlyList<string>, string?) Dmarc(ExpectedRecord expected, List<string> texts)
    {
        // RFC 7489 §6.6.3: records that do not start with "v=DMARC1" are ignored; more than one means none applies.
        var dmarc = texts.Where(t => t.StartsWith("v=DMARC1", StringComparison.Ordinal) && (t.Length == 8 || t[8] is ';' or ' ')).ToList();
        return dmarc.Count switch
        {
            0 => (RecordStatuses.Missing, dmarc, $"No DMARC record (TXT starting with v=DMARC1) at {expected.Name}."),
            1 => (RecordStatuses.Verified, dmarc, null),
            var n => (RecordStatuses.Mismatch, dmarc, $"{n} DMARC records at {expected.Name}: receivers then apply none (RFC 7489 §6.6.3); keep one."),
        };
    }

    /// <summary>A tag's value in a <c>tag=value; tag=value</c> list, or null.</summary>
    private static string? Tag(string record, string name) =>
        record.Split(';')
            .Select(part => part.Split('=', 2))
            .Where(kv => kv.Length == 2 && kv[0].Trim() == name)
            .Select(kv => kv[1].Trim())
            .FirstOrDefault();

    private static RecordCheck Error(ExpectedRecord expected, string detail) =>
        new(expected.Purpose, expected.Type, expected.Name, RecordStatuses.Error, [], detail, VerifiedAt: null);

    private static DnsQueryAndServerOptions Uncached(ILookupClient client)
    {
        var settings = client.Settings;
        return new DnsQueryAndServerOptions([.. settings.NameServers])
        {
            UseCache = false,
            Retries = settings.Retries,
            Timeout = settings.Timeout,
            UseTcpFallback = settings.UseTcpFallback,
            ContinueOnDnsError = settings.ContinueOnDnsError,
            ContinueOnEmptyResponse = settings.ContinueOnEmptyResponse,
            ThrowDnsErrors = false,
            ExtendedDnsBufferSize = settings.ExtendedDnsBufferSize,
            Recursion = settings.Recursion,
        };
    }
}
