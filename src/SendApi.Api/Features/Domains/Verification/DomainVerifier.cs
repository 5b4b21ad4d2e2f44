using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Domains;

namespace SendApi.Api.Features.Domains.Verification;

/// <summary>
/// Checks every record a domain should have published (<see cref="ExpectedRecords"/>), at once,
/// and keeps the outcome: what <c>POST /domains/{name}/verify</c> and the periodic re-check do.
/// </summary>
internal sealed partial class DomainVerifier(
    IDomainStore domains,
    DnsRecordChecker checker,
    SenderDomainStanding standing,
    IOptions<DomainsOptions> options,
    TimeProvider time,
    ILogger<DomainVerifier> logger)
{
    public async Task<DomainVerification> VerifyAsync(SenderDomain domain, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expected = ExpectedRecords.For(domain, options.Value);
        var checks = await Task.WhenAll(expected.Select(e => checker.CheckAsync(e, now, cancellationToken)));
        var previous = await domains.FindVerificationAsync(domain.AccountId, domain.Name, cancellationToken);
        var verification = new DomainVerification(domain.Dkim.Selector, now, [.. checks.Select(c => KeepVerifiedThroughErrors(c, previous, domain))]);

        await domains.SaveVerificationAsync(domain.AccountId, domain.Name, verification, cancellationToken);
        standing.Forget(domain.AccountId, domain.Name);
        if (verification.IsVerified)
        {
            LogVerified(logger, domain.AccountId, domain.Name);
        }
        else
        {
            LogNotVerified(logger, domain.AccountId, domain.Name, SenderDomainStanding.Describe(verification.Failing));
        }

        return verification;
    }

    /// <summary>
    /// A DNS error says nothing about what is published: a record verified before stays counted
    /// as verified (with the error shown) until an answer says otherwise.
    /// </summary>
    private static RecordCheck KeepVerifiedThroughErrors(RecordCheck check, DomainVerification? previous, SenderDomain domain)
    {
        if (check.Status != RecordStatuses.Error || previous is null || previous.Selector != domain.Dkim.Selector)
        {
            return check;
        }

        var before = previous.Records.FirstOrDefault(r => r.Purpose == check.Purpose && r.Name == check.Name);
        return before?.VerifiedAt is { } verifiedAt ? check with { VerifiedAt = verifiedAt } : check;
    }

    // Log event ids 1310–1319 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1312.
    [LoggerMessage(EventId = 1310, Level = LogLevel.Information, Message = "Account {AccountId}: sender domain {Domain} verified")]
    private static partial void LogVerified(ILogger logger, string accountId, string domain);

    [LoggerMessage(EventId = 1311, Level = LogLevel.Information, Message = "Account {AccountId}: sender domain {Domain} is not verified: {Failing}")]
    private static partial void LogNotVerified(ILogger logger, string accountId, string domain, string failing);
}
