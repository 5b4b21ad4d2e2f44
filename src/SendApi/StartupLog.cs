namespace SendApi;

internal static partial class StartupLog
{
    /// <summary>
    /// The host name is the EHLO name receivers check against our address's PTR record, the
    /// domain of every Message-ID, the TLS certificate's name and the SPF/MX suggestion: a bare
    /// machine name ("vm") makes receivers distrust or refuse the mail.
    /// </summary>
    public static void WarnIfHostNameIsNotQualified(ILogger logger, string heloName)
    {
        if (!IsFullyQualified(heloName))
        {
            HostNameNotQualified(logger, heloName);
        }
    }

    internal static bool IsFullyQualified(string name)
    {
        var trimmed = name.TrimEnd('.');
        var lastDot = trimmed.LastIndexOf('.');
        return Uri.CheckHostName(trimmed) == UriHostNameType.Dns
            && lastDot > 0
            && trimmed[(lastDot + 1)..].ToLowerInvariant() is not ("localdomain" or "local" or "localhost" or "internal" or "lan" or "home");
    }

    // Log event ids 1–9 (the host's range is 1–999, see docs/logging.md), shared with StartupSummary; next free: 5.
    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Delivery:HeloName is '{HeloName}', which is not a fully qualified domain name (it defaults to this machine's name). It is the EHLO name when delivering, the domain of Message-IDs, the TLS certificate's name and the host in the suggested SPF/MX records; receiving servers distrust or refuse mail from a bare name. Set Delivery__HeloName to this server's public name, e.g. mail.example.com, whose A record and PTR match.")]
    private static partial void HostNameNotQualified(ILogger logger, string heloName);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Storage: embedded (in-memory). Queued mail, message history and API keys are LOST on restart. Set ConnectionStrings__Redis for durable operation.")]
    public static partial void EmbeddedMode(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Storage: {Description}")]
    public static partial void RedisMode(ILogger logger, string description);
}
