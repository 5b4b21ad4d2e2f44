using System.Text.Json.Serialization;
using FluentValidation;
using SendApi.Api.Features.Messages;
using SendApi.Core.Suppressions;

namespace SendApi.Api.Features.Suppressions;

/// <summary>The body of <c>POST /suppressions</c>.</summary>
/// <param name="Address">"bob@example.com" (a "Name &lt;bob@example.com&gt;" form is reduced to the address). Stored in lower case.</param>
/// <param name="Reason">manual (default), unsubscribe, hard_bounce or complaint.</param>
/// <param name="Detail">A note kept with the entry, up to 500 characters.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateSuppressionRequest(string? Address, string? Reason, string? Detail);

internal sealed class CreateSuppressionValidator : AbstractValidator<CreateSuppressionRequest>
{
    public const int MaxDetailLength = 500;

    public CreateSuppressionValidator()
    {
        RuleFor(x => x.Address).Custom((address, context) =>
        {
            if (!EmailAddresses.TryParse(address, out _, out var error))
            {
                context.AddFailure(error);
            }
        });

        var known = string.Join(", ", SuppressionReasons.All);
        RuleFor(x => x.Reason)
            .Must(SuppressionReasons.IsKnown)
            .When(x => x.Reason is not null)
            .WithMessage(x => $"'{x.Reason}' is not a reason; known reasons: {known}.");
        RuleFor(x => x.Detail)
            .MaximumLength(MaxDetailLength)
            .Must(d => d is null || !d.Any(char.IsControl)).WithMessage("must not contain control characters.");
    }
}
