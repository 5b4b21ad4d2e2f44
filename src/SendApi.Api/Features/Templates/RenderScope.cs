namespace SendApi.Api.Features.Templates;

/// <summary>
/// What one part's render is allowed and what it found, for the code Handlebars.Net calls back
/// (the variables' wrappers, the missing-value formatter), which gets no context of ours. Rendering
/// is synchronous, so the scope is the thread's for the length of the call.
/// </summary>
internal sealed class RenderScope
{
    [ThreadStatic]
    private static RenderScope? t_current;

    private long _stepsLeft;

    private RenderScope(long steps) => _stepsLeft = steps;

    public static RenderScope? Current => t_current;

    /// <summary>Names whose value was missing where the part writes them, in order of first use.</summary>
    public List<string> Missing { get; } = [];

    /// <summary>Runs <paramref name="render"/> with this thread's scope allowing <paramref name="steps"/> loop steps.</summary>
    public static RenderScope Run(long steps, Action render)
    {
        var scope = new RenderScope(steps);
        var outer = t_current;
        t_current = scope;
        try
        {
            render();
        }
        finally
        {
            t_current = outer;
        }

        return scope;
    }

    /// <summary>One element of a list or object read: a loop's step.</summary>
    /// <exception cref="TemplateRenderException">The part has used its budget.</exception>
    public static void Step()
    {
        if (t_current is { } scope && --scope._stepsLeft < 0)
        {
            throw new TemplateRenderException("the template does too much work with these variables (loops over large lists, or nested loops); simplify it or send fewer items.");
        }
    }

    public static void NoteMissing(string name)
    {
        if (t_current is { } scope && !scope.Missing.Contains(name))
        {
            scope.Missing.Add(name);
        }
    }
}

/// <summary>A template that cannot be rendered with these variables (a 400 for the client).</summary>
internal sealed class TemplateRenderException(string message) : Exception(message);
