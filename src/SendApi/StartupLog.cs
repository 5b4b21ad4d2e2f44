namespace SendApi;

internal static partial class StartupLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Storage: embedded (in-memory). Queued mail, message history and API keys are LOST on restart. Set ConnectionStrings__Redis for durable operation.")]
    public static partial void EmbeddedMode(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Storage: {Description}")]
    public static partial void RedisMode(ILogger logger, string description);
}
