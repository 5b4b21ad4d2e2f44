namespace SendApi.Api.Features.Templates;

/// <summary>Why a template part does not compile, and where: line and column count from 1.</summary>
/// <param name="Part">subject, html or text.</param>
internal sealed record TemplateSyntaxError(string Part, int Line, int Column, string Message)
{
    public override string ToString() => $"line {Line}, column {Column}: {Message}";
}
