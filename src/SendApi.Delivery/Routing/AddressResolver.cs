using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;

namespace SendApi.Delivery.Routing;

/// <summary>
/// A mail host's addresses from its A and AAAA records, both asked at once. Some servers answer
/// one of the two with REFUSED or SERVFAIL, or never answer it (RFC 4074 lists such behaviours),
/// while the other works: the host is then reached over the family that answered, as Postfix does.
/// Only when no address was obtained and a lookup failed is it a DNS failure
/// (<see cref="DnsLookupException"/>, temporary); NXDOMAIN or NODATA for both means "no address".
/// <para>
/// What a failing family costs: the first round asks each family once (no retries), and once one
/// family has addresses the other gets what is left of one Dns:Timeout. A failure is remembered
/// for a minute (RFC 2308 §7 allows five), so the next messages to that host don't wait again.
/// Only when the first round found no address are the failed and remembered families asked
/// again with the resolver's retries.
/// </para>
/// <para>
/// An empty answer (NODATA or NXDOMAIN) is remembered as long as its SOA allows (<see cref="NegativeAnswers"/>):
/// the AAAA of a host that has only an A record is asked once per negative TTL, not once per delivery.
/// </para>
/// </summary>
internal sealed partial class AddressResolver(ILookupClient dns, TimeProvider time, ILogger<AddressResolver> logger)
{
    private static readonly TimeSpan FailureMemory = TimeSpan.FromMinutes(1);
    private static readonly QueryType[] Families = [QueryType.A, QueryType.AAAA];

    private readonly DnsQueryAndServerOptions _singleTry = DnsClientFactory.SingleTry(dns);
    private readonly FamilyMemory _failed = new(time);
    private readonly FamilyMemory _empty = new(time);

    /// <summary>The host's addresses, IPv4 first; empty when it has none. Throws <see cref="DnsLookupException"/> when DNS could not say.</summary>
    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return [literal];
        }

        var key = host.ToLowerInvariant();
        var knownEmpty = Families.Where(f => _empty.Holds(key, f)).ToList();
        var results = await FirstRoundAsync(key, [.. Families.Where(f => !knownEmpty.Contains(f) && !_failed.Holds(key, f))], cancellationToken);
        foreach (var family in knownEmpty)
        {
            // As answered last time: no record of that family, which is not a failure to ask again.
            results[family] = new Lookup(family, [], null);
        }

        if (Addresses(results) is { Count: > 0 } found)
        {
            foreach (var failed in results.Values.Where(r => r.Failure is not null))
            {
                LogFamilyFailed(logger, failed.Type, host, failed.Failure!);
            }

            return found;
        }

        // No address yet: a failed family (or one skipped for a remembered failure) may hide one, so it is asked again, with retries.
        var again = Families.Where(f => results.GetValueOrDefault(f) is not { Failure: null }).ToList();
        foreach (var lookup in await Task.WhenAll(again.Select(f => AskAsync(key, f, options: null, cancellationToken, cancellationToken))))
        {
            results[lookup.Type] = lookup;
        }

        if (Addresses(results) is { Count: > 0 } retried)
        {
            return retried;
        }

        var failures = results.Values.Where(r => r.Failure is not null).OrderBy(r => r.Type).ToList();
        if (failures.Count > 0)
        {
            throw new DnsLookupException($"Address lookup for {host} failed: {string.Join("; ", failures.Select(f => $"{f.Type} {f.Failure}"))}");
        }

        return [];
    }

    private async Task<Dictionary<QueryType, Lookup>> FirstRoundAsync(string host, QueryType[] families, CancellationToken cancellationToken)
    {
        var results = new Dictionary<QueryType, Lookup>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = Stopwatch.StartNew();
        var pending = families.Select(f => AskAsync(host, f, _singleTry, deadline.Token, cancellationToken)).ToList();
        while (pending.Count > 0)
        {
            var finished = await Task.WhenAny(pending);
            pending.Remove(finished);
            var lookup = await finished;
            results[lookup.Type] = lookup;
            if (lookup.Addresses.Count > 0 && pending.Count > 0)
            {
                // An I/O deadline, on the same (real) clock as DnsClient's own timeouts. It matters
                // with several resolvers, each of which the single try would otherwise wait for.
                var left = dns.Settings.Timeout - started.Elapsed;
                deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }
        }

        return results;
    }

    /// <param name="options">Per-query settings, or null for the client's own (with retries).</param>
    /// <param name="stop">When to give up on this question: the caller's token, or the first round's deadline linked to it.</param>
    /// <param name="cancellationToken">The caller's token: its cancellation propagates, a deadline is a failed lookup.</param>
    private async Task<Lookup> AskAsync(string host, QueryType type, DnsQueryAndServerOptions? options, CancellationToken stop, CancellationToken cancellationToken)
    {
        Lookup lookup;
        try
        {
            var response = options is null
                ? await dns.QueryAsync(host, type, QueryClass.IN, stop)
                : await dns.QueryAsync(new DnsQuestion(host, type, QueryClass.IN), options, stop);
            lookup = response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain
                ? new Lookup(type, [], response.ErrorMessage)
                : new Lookup(type, type == QueryType.A
                    ? [.. response.Answers.ARecords().Select(r => r.Address).Where(ip => ip.AddressFamily == AddressFamily.InterNetwork)]
                    : [.. response.Answers.AaaaRecords().Select(r => r.Address).Where(ip => ip.AddressFamily == AddressFamily.InterNetworkV6)], null);
            if (lookup is { Failure: null, Addresses.Count: 0 } && NegativeAnswers.TimeToRemember(response) is { } lasting)
            {
                _empty.Mark(host, type, lasting);
            }
        }
        catch (DnsResponseException ex)
        {
            lookup = new Lookup(type, [], ex.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            lookup = new Lookup(type, [], "no answer within Dns:Timeout");
        }

        Remember(host, lookup);
        return lookup;
    }

    private void Remember(string host, Lookup lookup)
    {
        if (lookup.Failure is null)
        {
            _failed.Clear(host, lookup.Type);
        }
        else
        {
            _failed.Mark(host, lookup.Type, FailureMemory);
        }
    }

    private static List<IPAddress> Addresses(Dictionary<QueryType, Lookup> results) =>
        [.. Families.SelectMany(f => results.GetValueOrDefault(f)?.Addresses ?? [])];

    /// <param name="Failure">Why the lookup failed (REFUSED, SERVFAIL, timeout), or null for an answer, empty or not.</param>
    private sealed record Lookup(QueryType Type, IReadOnlyList<IPAddress> Addresses, string? Failure);

    // Log event ids 2040–2049 (SendApi.Delivery's range is 2000–2999, see docs/logging.md); next free: 2041.
    [LoggerMessage(EventId = 2040, Level = LogLevel.Information, Message = "{Type} lookup for {Host} failed ({Reason}); using its other addresses")]
    private static partial void LogFamilyFailed(ILogger logger, QueryType type, string host, string reason);
}

/// <summary>DNS did not answer (as opposed to answering "no such record"): a temporary condition.</summary>
internal sealed class DnsLookupException(string message) : Exception(message);
