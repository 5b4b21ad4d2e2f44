using Microsoft.Extensions.DependencyInjection;
using SendApi.Api.Auth;
using SendApi.Api.Features.Messages;
using SendApi.Core.Messages;

namespace SendApi.IntegrationTests.Harness;

/// <summary>
/// Messages with per-recipient bodies, handed to the application's own <see cref="MessageIntake"/>
/// as the features that render per recipient will (no HTTP field carries variants yet): composed
/// like a <c>POST /messages</c>, once for the base and once per variant.
/// </summary>
internal static class VariantMessages
{
    /// <param name="text">The base text: what recipients in no variant receive.</param>
    /// <param name="variants">Each variant's text and the indices (into <paramref name="to"/>) of its recipients.</param>
    /// <returns>The accepted message's id.</returns>
    public static async Task<string> AcceptWithVariantsAsync(
        this SendApiApp app, string accountId, string from, IReadOnlyList<string> to, string subject, string text, params (string Text, int[] Recipients)[] variants)
    {
        var composer = app.Services.GetRequiredService<MessageComposer>();
        var id = MessageIds.New();
        IncomingMessage Compose(string body) =>
            composer.Compose(new SendMessageRequest { From = from, To = to, Subject = subject, Text = body }, id, accountId);

        var message = Compose(text) with
        {
            Variants = [.. variants.Select(v => new MessageVariant(Compose(v.Text).Mime, v.Recipients))],
            Key = new SendingKey("key_00000000000000aa", [], Sandbox: false),
        };
        var result = await app.Services.GetRequiredService<MessageIntake>().AcceptAsync(message, CancellationToken.None);
        return Assert.IsType<MessageAccepted>(result).Id;
    }
}
