using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using HandlebarsDotNet;
using HandlebarsDotNet.IO;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace SendApi.Api.Features.Templates;

/// <summary>
/// Handlebars.Net, set up for stored templates from API clients: two environments (HTML parts
/// escape what they write, subject and text write it as is), no partials, missing values written
/// as nothing and noted, and compiled parts cached per (account, template, version, part) with a
/// bound. Every source passes <see cref="TemplateTags"/> before the compiler sees it.
/// </summary>
internal sealed partial class TemplateCompiler : IDisposable
{
    private readonly IHandlebars _html = Environment(escape: true);
    private readonly IHandlebars _plain = Environment(escape: false);
    private readonly MemoryCache _cache;
    private readonly TemplatesOptions _options;

    public TemplateCompiler(IOptions<TemplatesOptions> options)
    {
        _options = options.Value;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.CompiledCacheSize });
    }

    /// <summary>A part ready to render; <see cref="Tags"/> scales its loop budget.</summary>
    public sealed record CompiledPart(HandlebarsTemplate<TextWriter, object, object> Render, int Tags);

    /// <summary>Null when <paramref name="source"/> compiles; otherwise the first problem and where it is.</summary>
    public TemplateSyntaxError? Check(string part, string source) => Compile(part, source).Error;

    /// <summary>The compiled part, from the cache when this version's part was compiled before.</summary>
    /// <exception cref="TemplateRenderException">The stored source no longer compiles (it did when stored).</exception>
    public CompiledPart Get(string accountId, string name, int version, string part, string source)
    {
        var key = (accountId, name, version, part);
        if (_cache.TryGetValue(key, out CompiledPart? cached))
        {
            return cached!;
        }

        var (compiled, error) = Compile(part, source);
        if (compiled is null)
        {
            throw new TemplateRenderException($"The {part} of template '{name}' version {version} does not compile: {error}.");
        }

        // A large part weighs more: its compiled form is in proportion to its tags.
        _cache.Set(key, compiled, new MemoryCacheEntryOptions { Size = 1 + (compiled.Tags / 100) });
        return compiled;
    }

    /// <summary>Renders one part; the output is bounded by the part's budget and <paramref name="maxLength"/>.</summary>
    /// <returns>The text and the names that had no value where the part writes them.</returns>
    /// <exception cref="TemplateRenderException">It fails, does too much work, or writes too much.</exception>
    public (string Text, IReadOnlyList<string> Missing) Render(CompiledPart part, object variables, long maxLength)
    {
        var output = new BoundedWriter(maxLength);
        try
        {
            var scope = RenderScope.Run(_options.MaxRenderWork / Math.Max(1, part.Tags), () => part.Render(output, variables, null!));
            return (output.ToString(), scope.Missing);
        }
        catch (TemplateRenderException)
        {
            throw;
        }
        catch (Exception ex) when (ex.InnerException is TemplateRenderException inner)
        {
            throw inner;
        }
        catch (HandlebarsException ex)
        {
            throw new TemplateRenderException(FirstLine(ex.Message));
        }
    }

    public void Dispose() => _cache.Dispose();

    private (CompiledPart? Compiled, TemplateSyntaxError? Error) Compile(string part, string source)
    {
        var (tags, problem) = TemplateTags.Scan(source, _options.MaxTags);
        if (problem is { } p)
        {
            return (null, ErrorAt(part, source, p.Offset, p.Message));
        }

        var environment = part == TemplateParts.Html ? _html : _plain;
        try
        {
            using var reader = new StringReader(source);
            return (new CompiledPart(environment.Compile(reader), tags.Count), null);
        }
        catch (Exception ex) when (ex is HandlebarsException or InvalidOperationException or ArgumentException)
        {
            return (null, Locate(part, source, tags, environment, ex));
        }
    }

    /// <summary>
    /// Handlebars.Net says where only some errors are ("Occured at: line:column", from 0); for the
    /// others each tag is compiled alone, and the first that fails is the place.
    /// </summary>
    private static TemplateSyntaxError Locate(string part, string source, IReadOnlyList<TemplateTags.Tag> tags, IHandlebars environment, Exception ex)
    {
        var message = FirstLine(ex.Message);
        if (OccurredAt().Match(ex.Message) is { Success: true } at)
        {
            return new TemplateSyntaxError(part, int.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture) + 1, int.Parse(at.Groups[2].Value, CultureInfo.InvariantCulture) + 1, message);
        }

        foreach (var tag in tags.Where(t => !t.Inner.TrimStart('~', ' ').StartsWith('/') && t.Inner.Trim('~', ' ') != "else"))
        {
            var alone = "{{" + tag.Inner + "}}" + (tag.Opens is { Length: > 0 } block ? "{{/" + block + "}}" : "");
            try
            {
                using var reader = new StringReader(alone);
                environment.Compile(reader);
            }
            catch (Exception e) when (e is HandlebarsException or InvalidOperationException or ArgumentException)
            {
                return ErrorAt(part, source, tag.Offset, e is InvalidOperationException ? "this tag is incomplete." : FirstLine(e.Message));
            }
        }

        return ErrorAt(part, source, 0, message);
    }

    private static TemplateSyntaxError ErrorAt(string part, string source, int offset, string message)
    {
        var (line, column) = TemplateTags.Position(source, offset);
        return new TemplateSyntaxError(part, line, column, message);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static IHandlebars Environment(bool escape)
    {
        var configuration = new HandlebarsConfiguration
        {
            NoEscape = !escape,
            FormatProvider = CultureInfo.InvariantCulture,
            // Partials are refused before compiling; this is the second wall.
            PartialRecursionDepthLimit = 1,
        };
        configuration.FormatterProviders.Add(new MissingValueFormatter());
        return Handlebars.Create(configuration);
    }

    [GeneratedRegex(@"Occured at: ?(\d{1,6}):(\d{1,6})", RegexOptions.NonBacktracking)]
    private static partial Regex OccurredAt();

    /// <summary>Writes nothing for a missing value and notes its name for <c>template_warnings</c>.</summary>
    private sealed class MissingValueFormatter : IFormatter, IFormatterProvider
    {
        public bool TryCreateFormatter(Type type, out IFormatter formatter)
        {
            formatter = this;
            return type == typeof(UndefinedBindingResult);
        }

        public void Format<T>(T value, in EncodedTextWriter writer)
        {
            if (value is UndefinedBindingResult missing)
            {
                RenderScope.NoteMissing(missing.Value);
            }
        }
    }

    /// <summary>A StringWriter that refuses to grow past a bound: a loop cannot build gigabytes.</summary>
    private sealed class BoundedWriter(long maxLength) : StringWriter(CultureInfo.InvariantCulture)
    {
        public override void Write(char value)
        {
            Reserve(1);
            base.Write(value);
        }

        public override void Write(string? value)
        {
            Reserve(value?.Length ?? 0);
            base.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            Reserve(count);
            base.Write(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            Reserve(buffer.Length);
            base.Write(buffer);
        }

        public override void Write(StringBuilder? value)
        {
            Reserve(value?.Length ?? 0);
            base.Write(value);
        }

        private void Reserve(int count)
        {
            if (GetStringBuilder().Length + (long)count > maxLength)
            {
                throw new TemplateRenderException($"the rendered text would be longer than {maxLength} characters.");
            }
        }
    }
}

/// <summary>The parts of a template, as named in errors and warnings.</summary>
internal static class TemplateParts
{
    public const string Subject = "subject";
    public const string Html = "html";
    public const string Text = "text";
}
