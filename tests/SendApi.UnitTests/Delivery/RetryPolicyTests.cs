using Microsoft.Extensions.Options;
using SendApi.Delivery;

namespace SendApi.UnitTests.Delivery;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RetryPolicy Policy(string schedule = "1m,5m,15m", string maxAge = "1h") =>
        new(Options.Create(new DeliveryOptions { RetrySchedule = schedule, MaxAge = maxAge }));

    [Fact]
    public void Follows_the_schedule_then_repeats_its_last_step()
    {
        var policy = Policy(maxAge: "48h");
        Assert.Equal(Created.AddMinutes(1), policy.NextAttempt(Created, attempts: 1, now: Created));
        Assert.Equal(Created.AddMinutes(6), policy.NextAttempt(Created, attempts: 2, now: Created.AddMinutes(1)));
        Assert.Equal(Created.AddMinutes(21), policy.NextAttempt(Created, attempts: 3, now: Created.AddMinutes(6)));
        Assert.Equal(Created.AddMinutes(36), policy.NextAttempt(Created, attempts: 4, now: Created.AddMinutes(21)));
    }

    [Fact]
    public void Last_attempt_is_made_at_the_maximum_age()
    {
        var policy = Policy(schedule: "45m", maxAge: "1h");
        Assert.Equal(Created.AddHours(1), policy.NextAttempt(Created, attempts: 2, now: Created.AddMinutes(45)));
    }

    [Fact]
    public void Gives_up_once_the_message_is_as_old_as_the_maximum_age()
    {
        var policy = Policy(maxAge: "1h");
        Assert.Null(policy.NextAttempt(Created, attempts: 7, now: Created.AddHours(1)));
        Assert.Null(policy.NextAttempt(Created, attempts: 7, now: Created.AddHours(3)));
    }
}
