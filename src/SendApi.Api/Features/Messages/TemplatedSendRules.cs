using FluentValidation;
using SendApi.Api.Features.Templates;
using SendApi.Api.Http;
using SendApi.Core.Templates;

namespace SendApi.Api.Features.Messages;

/// <summary>
/// The template fields of a send: with <c>template</c>, the content comes from it (giving subject,
/// html or text too is a contradiction); without one, template_version and variables (the message's
/// or a recipient's) mean nothing and are refused rather than ignored.
/// </summary>
internal sealed class TemplatedSendRules : AbstractValidator<SendMessageRequest>
{
    public TemplatedSendRules(int maxVariablesLength)
    {
        When(x => x.Template is not null, () =>
        {
            RuleFor(x => x.Template).Must(TemplateNames.IsValid).WithMessage(TemplateNames.Rule);
            RuleFor(x => x.Subject).Null().WithMessage("comes from the template; leave it out when template is given.");
            RuleFor(x => x.Html).Null().WithMessage("comes from the template; leave it out when template is given.");
            RuleFor(x => x.Text).Null().WithMessage("comes from the template; leave it out when template is given.");
            RuleFor(x => x.TemplateVersion).GreaterThanOrEqualTo(1).When(x => x.TemplateVersion is not null);
            RuleFor(x => x.Variables)
                .Must(v => TemplateVariables.Length(v) <= maxVariablesLength)
                .WithMessage($"must be at most {maxVariablesLength} characters of JSON (Templates:MaxVariablesLength).");
            RuleFor(x => x.To).Custom((to, ctx) =>
            {
                for (var i = 0; i < (to?.Count ?? 0); i++)
                {
                    if (TemplateVariables.Length((to as RecipientList)?.VariablesOf(i)) > maxVariablesLength)
                    {
                        ctx.AddFailure($"to[{i}].variables", $"must be at most {maxVariablesLength} characters of JSON (Templates:MaxVariablesLength).");
                    }
                }
            });
        }).Otherwise(() =>
        {
            RuleFor(x => x.TemplateVersion).Null().WithMessage("needs template.");
            RuleFor(x => x.Variables).Null().WithMessage("needs template.");
            RuleFor(x => x.To)
                .Must(to => to is not RecipientList { HasVariables: true })
                .WithMessage("Recipient variables need template.");
        });
    }
}
