namespace SendApi.Api.Features.Messages;

/// <summary>Settings under "Messages" (env <c>Messages__*</c>): the limits the API enforces and documents.</summary>
public sealed class MessagesOptions
{
    public const string Section = "Messages";

    /// <summary>Largest MIME message accepted, in bytes (attachments count after base64 decoding, plus encoding overhead).</summary>
    public long MaxSizeBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Most recipients (to + cc + bcc) in one message.</summary>
    public int MaxRecipients { get; set; } = 50;

    /// <summary>How far ahead <c>scheduled_at</c> may be (a duration: 72h, 3d).</summary>
    public string MaxScheduleAhead { get; set; } = "72h";

    internal TimeSpan MaxScheduleAheadValue => Core.Durations.Parse(MaxScheduleAhead, "Messages:MaxScheduleAhead");

    /// <summary>Most messages in one <c>POST /messages/batch</c>.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>Domain of generated Message-IDs; defaults to Delivery:HeloName.</summary>
    public string? MessageIdDomain { get; set; }

    /// <summary>The request body limit that lets a maximum-size message through as base64 JSON.</summary>
    public long MaxRequestBodyBytes => (MaxSizeBytes * 4 / 3) + (1024 * 1024);
}
