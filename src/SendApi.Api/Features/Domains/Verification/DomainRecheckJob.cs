using System.Globalization;
using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Domains;

namespace SendApi.Api.Features.Domains.Verification;

/// <summary>
/// The periodic re-check: a Hangfire recurring job (one run at a time across instances, as
/// Hangfire schedules it) that checks again every domain whose last check is
/// <c>Domains__VerifyInterval</c> old, or that was never checked. Records change after
/// registration (a DNS migration drops the DKIM key, someone "tidies" SPF), and mail from a
/// domain that broke should say so in its events rather than be discovered by bounces.
/// </summary>
internal sealed partial class DomainRecheckJob(
    IDomainStore domains, DomainVerifier verifier, IOptions<DomainsOptions> options, TimeProvider time, ILogger<DomainRecheckJob> logger)
{
    public const string RecurringJobId = "domains-verify";

    /// <summary>How many domains were checked.</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.VerifyIntervalValue;
        var now = time.GetUtcNow();
        var checkedCount = 0;
        foreach (var account in (await domains.ListAllAsync(cancellationToken)).GroupBy(d => d.AccountId, StringComparer.Ordinal))
        {
            var last = await domains.ListVerificationsAsync(account.Key, cancellationToken);
            foreach (var domain in account)
            {
                // A minute's slack: the run that comes an interval after a check must not miss it by seconds.
                if (last.TryGetValue(domain.Name, out var previous) && previous.Selector == domain.Dkim.Selector
                    && now - previous.CheckedAt < interval - TimeSpan.FromMinutes(1))
                {
                    continue;
                }

                try
                {
                    await verifier.VerifyAsync(domain, cancellationToken);
                    checkedCount++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogCheckFailed(logger, domain.AccountId, domain.Name, ex);
                }
            }
        }

        return checkedCount;
    }

    /// <summary>
    /// How often the job runs: a quarter of the interval (so a domain is checked at most a quarter
    /// interval late), at least every minute and at most every hour, as a cron expression.
    /// </summary>
    public static string Cron(TimeSpan interval)
    {
        var minutes = (int)Math.Clamp(interval.TotalMinutes / 4, 1, 60);
        return minutes >= 60 ? "0 * * * *" : minutes == 1 ? "* * * * *" : $"*/{minutes.ToString(CultureInfo.InvariantCulture)} * * * *";
    }

    // Log event ids 1320–1329 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1322 (1321 is DomainRecheckSchedule's).
    [LoggerMessage(EventId = 1320, Level = LogLevel.Warning, Message = "Re-checking the DNS records of account {AccountId}'s sender domain {Domain} failed")]
    private static partial void LogCheckFailed(ILogger logger, string accountId, string domain, Exception exception);
}

/// <summary>
/// Puts <see cref="DomainRecheckJob"/> on Hangfire's recurring schedule (every instance does; the
/// schedule is one). In the background and again until it works: writing the schedule takes a lock
/// in the store, and a store that is slow or down at that moment must not stop the whole
/// service from starting, since nothing else depends on the schedule being written first.
/// </summary>
internal sealed partial class DomainRecheckSchedule(
    IRecurringJobManager jobs, IOptions<DomainsOptions> options, TimeProvider time, ILogger<DomainRecheckSchedule> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                jobs.AddOrUpdate<DomainRecheckJob>(
                    DomainRecheckJob.RecurringJobId, job => job.RunAsync(CancellationToken.None), DomainRecheckJob.Cron(options.Value.VerifyIntervalValue));
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogScheduleFailed(logger, wait, ex);
            }

            await Task.Delay(wait, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestRetry.Ticks));
        }
    }

    [LoggerMessage(EventId = 1321, Level = LogLevel.Warning, Message = "Could not put the domain re-check on the schedule; trying again in {Wait}")]
    private static partial void LogScheduleFailed(ILogger logger, TimeSpan wait, Exception exception);
}
