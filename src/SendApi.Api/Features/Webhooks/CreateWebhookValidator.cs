using FluentValidation;
using Microsoft.Extensions.Options;
using SendApi.Core.Webhooks;
using SendApi.Webhooks;
using SendApi.Webhooks.Network;

namespace SendApi.Api.Features.Webhooks;

internal sealed class CreateWebhookValidator : AbstractValidator<CreateWebhookRequest>
{
    public CreateWebhookValidator(IOptions<WebhookOptions> options)
    {
        var allowPrivate = options.Value.AllowPrivateNetworks;
        RuleFor(x => x.Url).NotEmpty().MaximumLength(WebhookUrls.MaxLength);
        RuleFor(x => x.Url).Custom((url, context) =>
            {
                if (WebhookUrls.Problem(url!, allowPrivate) is { } problem)
                {
                    context.AddFailure(problem);
                }
            })
            .When(x => !string.IsNullOrEmpty(x.Url) && x.Url.Length <= WebhookUrls.MaxLength);

        var known = string.Join(", ", WebhookEventTypes.All);
        RuleFor(x => x.Events).NotEmpty().WithMessage($"At least one event type is required: {known}.");
        RuleForEach(x => x.Events)
            .Must(WebhookEventTypes.IsKnown)
            .WithMessage((_, type) => $"'{type}' is not an event type; known types: {known}.");
    }
}
