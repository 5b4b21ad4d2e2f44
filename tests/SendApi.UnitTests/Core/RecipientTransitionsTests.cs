using SendApi.Core.Messages;

namespace SendApi.UnitTests.Core;

public sealed class RecipientTransitionsTests
{
    [Fact]
    public void An_attempt_replaces_every_state_but_a_bounce_that_came_back_meanwhile()
    {
        var protectedStates = Enum.GetValues<RecipientStatus>().Where(s => !RecipientTransitions.AttemptMayReplace(s));

        Assert.Equal([RecipientStatus.Bounced], protectedStates);
    }
}
