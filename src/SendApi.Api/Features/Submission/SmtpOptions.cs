using System.Net;
using Microsoft.Extensions.Options;
using SendApi.Core;

namespace SendApi.Api.Features.Submission;

/// <summary>Settings under "Smtp" (env <c>Smtp__*</c>): the SMTP listeners.</summary>
public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    /// <summary>Name in the banner and EHLO reply; defaults to Delivery:HeloName.</summary>
    public string? Hostname { get; set; }

    /// <summary>Address the SMTP listeners bind: "*" (every address), "localhost" or an IP.</summary>
    public string BindAddress { get; set; } = "*";

    /// <summary>Port 587: STARTTLS, AUTH required (RFC 6409).</summary>
    public SmtpListenerOptions Submission { get; set; } = new() { Port = 587 };

    /// <summary>Port 465: implicit TLS (RFC 8314).</summary>
    public SmtpListenerOptions SubmissionTls { get; set; } = new() { Port = 465 };

    /// <summary>Port 25: mail to the service's own domains (bounces, complaints, replies, inbound domains); no AUTH, never relays.</summary>
    public SmtpListenerOptions Inbound { get; set; } = new() { Port = 25 };

    /// <summary>Offer AUTH before STARTTLS (passwords in clear text): for trusted local networks only.</summary>
    public bool AllowInsecureAuth { get; set; }

    public string IdleTimeout { get; set; } = "5m";

    /// <summary>A TLS handshake (465, or after STARTTLS) not finished within this is dropped.</summary>
    public string TlsHandshakeTimeout { get; set; } = "10s";

    /// <summary>Simultaneous connections per listener, from everyone (trusted networks included).</summary>
    public int MaxConnections { get; set; } = 1000;

    public int MaxConnectionsPerIp { get; set; } = 20;

    /// <summary>Every submission listener's trusted networks: exempt from <see cref="MaxConnectionsPerIp"/>.</summary>
    public IReadOnlyList<IPNetwork> ConnectionLimitExemptions() =>
        [.. Submission.TrustedNetworkList, .. SubmissionTls.TrustedNetworkList];
}

public sealed class SmtpListenerOptions
{
    /// <summary>0 disables the listener.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Comma-separated CIDR networks (e.g. "10.0.0.0/8, 127.0.0.1/32") whose clients may submit
    /// without AUTH, attributed to <see cref="TrustedApiKey"/> (Postfix's mynetworks).
    /// </summary>
    public string? TrustedNetworks { get; set; }

    /// <summary>The API key (the secret) that trusted-network submissions are attributed to.</summary>
    public string? TrustedApiKey { get; set; }

    private ParsedNetworks? _trusted;

    /// <summary>
    /// <see cref="TrustedNetworks"/> parsed; asked on every connection, so parsed once per value
    /// of the setting rather than each time.
    /// </summary>
    internal IReadOnlyList<IPNetwork> TrustedNetworkList
    {
        get
        {
            var parsed = _trusted;
            if (parsed is null || !string.Equals(parsed.Source, TrustedNetworks, StringComparison.Ordinal))
            {
                parsed = new ParsedNetworks(TrustedNetworks,
                    [.. (TrustedNetworks ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPNetwork.Parse)]);
                _trusted = parsed;
            }

            return parsed.Networks;
        }
    }

    private sealed record ParsedNetworks(string? Source, IReadOnlyList<IPNetwork> Networks);
}

internal sealed class SmtpOptionsValidation : IValidateOptions<SmtpOptions>
{
    public ValidateOptionsResult Validate(string? name, SmtpOptions options)
    {
        var errors = new List<string>();
        Listener(errors, "Submission", options.Submission);
        Listener(errors, "SubmissionTls", options.SubmissionTls);
        Listener(errors, "Inbound", options.Inbound);
        if (!string.IsNullOrWhiteSpace(options.Inbound.TrustedNetworks))
        {
            errors.Add("Smtp:Inbound:TrustedNetworks (env Smtp__Inbound__TrustedNetworks) is not supported: port 25 takes no submissions, only mail to the service's own domains.");
        }

        var ports = new[] { options.Submission.Port, options.SubmissionTls.Port, options.Inbound.Port }.Where(p => p > 0).ToList();
        if (ports.Count != ports.Distinct().Count())
        {
            errors.Add($"Smtp:Submission:Port, Smtp:SubmissionTls:Port and Smtp:Inbound:Port must differ (0 turns one off), not {string.Join(", ", ports)}.");
        }
        if (!Durations.TryParse(options.IdleTimeout, out var idle) || idle < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Smtp:IdleTimeout (env Smtp__IdleTimeout) must be a duration of at least 1s, not '{options.IdleTimeout}'.");
        }

        if (!Durations.TryParse(options.TlsHandshakeTimeout, out var handshake) || handshake < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Smtp:TlsHandshakeTimeout (env Smtp__TlsHandshakeTimeout) must be a duration of at least 1s, not '{options.TlsHandshakeTimeout}'.");
        }

        if (options.MaxConnections < 1)
        {
            errors.Add($"Smtp:MaxConnections (env Smtp__MaxConnections) must be at least 1, not {options.MaxConnections}.");
        }

        if (options.MaxConnectionsPerIp < 1)
        {
            errors.Add($"Smtp:MaxConnectionsPerIp (env Smtp__MaxConnectionsPerIp) must be at least 1, not {options.MaxConnectionsPerIp}.");
        }

        if (options.BindAddress is not ("*" or "localhost") && !IPAddress.TryParse(options.BindAddress, out _))
        {
            errors.Add($"Smtp:BindAddress (env Smtp__BindAddress) must be '*', 'localhost' or an IP address, not '{options.BindAddress}'.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Listener(List<string> errors, string name, SmtpListenerOptions listener)
    {
        if (listener.Port is < 0 or > 65535)
        {
            errors.Add($"Smtp:{name}:Port (env Smtp__{name}__Port) must be between 0 (off) and 65535, not {listener.Port}.");
        }

        foreach (var network in (listener.TrustedNetworks ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(network, out _))
            {
                errors.Add($"Smtp:{name}:TrustedNetworks (env Smtp__{name}__TrustedNetworks): '{network}' is not a CIDR network such as 10.0.0.0/8.");
            }
        }

        if (!string.IsNullOrWhiteSpace(listener.TrustedNetworks) && string.IsNullOrWhiteSpace(listener.TrustedApiKey))
        {
            errors.Add($"Smtp:{name}:TrustedApiKey (env Smtp__{name}__TrustedApiKey) is required with TrustedNetworks: trusted submissions are attributed to that key.");
        }
    }
}
