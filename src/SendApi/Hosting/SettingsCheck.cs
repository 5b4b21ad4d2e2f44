using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Options;
using SendApi.Api.Auth;
using SendApi.Api.Auth.RateLimits;
using SendApi.Api.Features.Compat;
using SendApi.Api.Features.Domains;
using SendApi.Api.Features.Inbound;
using SendApi.Api.Features.Messages;
using SendApi.Api.Features.Submission;
using SendApi.Api.Features.Templates;
using SendApi.Api.Features.Tracking;
using SendApi.Core.Diagnostics;
using SendApi.Delivery;
using SendApi.Delivery.Capture;
using SendApi.Storage;
using SendApi.Webhooks;

namespace SendApi.Hosting;

/// <summary>
/// Refuses settings the application doesn't know under the sections it owns. The configuration
/// binder ignores what matches no property, so a misspelt key (<c>Delivery__Wokers</c>) or a list
/// given as one value (<c>Inbound__Domains=x</c> instead of <c>Inbound__Domains__0=x</c>) used to
/// leave the default in place without a word. Keys outside these sections (Logging, Kestrel,
/// ConnectionStrings, the machine's own environment) are not ours to judge.
/// </summary>
internal sealed class SettingsCheck(IConfiguration configuration) : IValidateOptions<SettingsCheck.Marker>
{
    /// <summary>Every section an options class binds, with that class. A new options class adds its row here (a test checks).</summary>
    public static readonly IReadOnlyDictionary<string, Type> Sections = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [AdminOptions.Section] = typeof(AdminOptions),
        [ApiKeysOptions.Section] = typeof(ApiKeysOptions),
        [CaptureOptions.Section] = typeof(CaptureOptions),
        [CompatOptions.Section] = typeof(CompatOptions),
        [DeliveryOptions.Section] = typeof(DeliveryOptions),
        [DnsOptions.Section] = typeof(DnsOptions),
        [DomainsOptions.Section] = typeof(DomainsOptions),
        [InboundOptions.Section] = typeof(InboundOptions),
        [MessagesOptions.Section] = typeof(MessagesOptions),
        [MetricsOptions.Section] = typeof(MetricsOptions),
        [SmtpOptions.Section] = typeof(SmtpOptions),
        [StorageOptions.Section] = typeof(StorageOptions),
        [TemplatesOptions.Section] = typeof(TemplatesOptions),
        [TlsOptions.Section] = typeof(TlsOptions),
        [TrackingOptions.Section] = typeof(TrackingOptions),
        [WebhookOptions.Section] = typeof(WebhookOptions),
    };

    public ValidateOptionsResult Validate(string? name, Marker options) =>
        Problems(configuration) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    /// <summary>One sentence per setting that would be ignored, naming it as an environment variable.</summary>
    public static List<string> Problems(IConfiguration configuration)
    {
        var problems = new List<string>();
        foreach (var section in configuration.GetChildren())
        {
            if (Sections.TryGetValue(section.Key, out var type))
            {
                CheckObject(section, type, problems);
            }
            else if (section.GetChildren().Any() && Closest(section.Key, Sections.Keys) is { } meant)
            {
                problems.Add($"{Env(section.Path)}__…: there is no section '{section.Key}'; did you mean {meant}?");
            }
        }

        return problems;
    }

    private static void CheckObject(IConfigurationSection section, Type type, List<string> problems)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        if (section.Value is { Length: > 0 } && !section.GetChildren().Any())
        {
            problems.Add($"{Env(section.Path)} is a group of settings, not one value: set {Env(section.Path)}__<name> (one of {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}).");
            return;
        }

        foreach (var child in section.GetChildren())
        {
            if (properties.TryGetValue(child.Key, out var property))
            {
                Check(child, property.PropertyType, problems);
            }
            else
            {
                var hint = Closest(child.Key, properties.Keys) is { } meant ? $"did you mean {Env(section.Path)}__{meant}?" : $"the settings here are {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}.";
                problems.Add($"{Env(child.Path)} is not a setting SendApi knows, so it would be ignored; {hint}");
            }
        }
    }

    private static void Check(IConfigurationSection section, Type type, List<string> problems)
    {
        var nullable = Nullable.GetUnderlyingType(type) is not null;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type))
        {
            if (section.GetChildren().Any())
            {
                problems.Add($"{Env(section.Path)} takes one value, yet {Env(section.GetChildren().First().Path)} is set.");
            }
            else if (section.Value is { } value && !(nullable && value.Length == 0) && !Converts(value, type))
            {
                problems.Add($"{Env(section.Path)}: '{value}' is not {Describe(type)}.");
            }

            return;
        }

        if (DictionaryValueType(type) is { } valueType)
        {
            foreach (var entry in section.GetChildren())
            {
                Check(entry, valueType, problems);
            }

            return;
        }

        if (ElementType(type) is { } elementType)
        {
            if (section.Value is { Length: > 0 } && !section.GetChildren().Any())
            {
                problems.Add($"{Env(section.Path)} is a list: set {Env(section.Path)}__0, {Env(section.Path)}__1, … (one value each), not {Env(section.Path)}.");
                return;
            }

            foreach (var item in section.GetChildren())
            {
                if (!int.TryParse(item.Key, out _))
                {
                    problems.Add($"{Env(item.Path)}: {Env(section.Path)} is a list, numbered from 0 ({Env(section.Path)}__0).");
                }
                else
                {
                    Check(item, elementType, problems);
                }
            }

            return;
        }

        CheckObject(section, type, problems);
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
        || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    /// <summary>What the configuration binder would do with the value: a type's converter, invariant culture.</summary>
    private static bool Converts(string value, Type type)
    {
        if (type == typeof(string))
        {
            return true;
        }

        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    private static string Describe(Type type) =>
        type.IsEnum ? $"one of {string.Join(", ", Enum.GetNames(type))}"
        : type == typeof(bool) ? "true or false"
        : type == typeof(int) || type == typeof(long) || type == typeof(short) ? "a whole number"
        : type == typeof(double) || type == typeof(decimal) || type == typeof(float) ? "a number"
        : type == typeof(TimeSpan) ? "a duration (hh:mm:ss)"
        : $"a valid {type.Name}";

    private static Type? DictionaryValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            ? type.GetGenericArguments()[1]
            : null;

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType ? type.GetGenericArguments()[0]
        : null;

    /// <summary>The known name a typo most likely meant: at most one edit for short names, two for longer ones.</summary>
    private static string? Closest(string key, IEnumerable<string> known) =>
        known.Select(k => (Name: k, Distance: Distance(key.ToLowerInvariant(), k.ToLowerInvariant())))
            .Where(c => c.Distance > 0 && c.Distance <= (c.Name.Length <= 5 ? 1 : 2))
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static string Env(string path) => path.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>Nothing to bind: the options type that carries this check into start-up validation.</summary>
    internal sealed class Marker;
}
