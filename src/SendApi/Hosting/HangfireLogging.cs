using HangfireLog = Hangfire.Logging;

namespace SendApi.Hosting;

/// <summary>
/// Hangfire's log provider is process-wide (a static), while logger factories belong to a host.
/// One process normally has one host, but when several share it (the integration tests do), the
/// provider of a disposed host must not break the others' Hangfire: its log calls are dropped.
/// </summary>
internal sealed class HangfireLogProvider(ILoggerFactory factory) : HangfireLog.ILogProvider
{
    public HangfireLog.ILog GetLogger(string name) => new SafeLog(factory, name);

    private sealed class SafeLog(ILoggerFactory factory, string name) : HangfireLog.ILog
    {
        private ILogger? _logger;

        public bool Log(HangfireLog.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                var logger = _logger ??= factory.CreateLogger(name);
                var level = Map(logLevel);
                if (messageFunc is null)
                {
                    return logger.IsEnabled(level);
                }

                if (logger.IsEnabled(level))
                {
                    logger.Log(level, 0, exception, "{Message}", messageFunc());
                }

                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }

        private static LogLevel Map(HangfireLog.LogLevel level) => level switch
        {
            HangfireLog.LogLevel.Trace => LogLevel.Trace,
            HangfireLog.LogLevel.Debug => LogLevel.Debug,
            HangfireLog.LogLevel.Info => LogLevel.Information,
            HangfireLog.LogLevel.Warn => LogLevel.Warning,
            HangfireLog.LogLevel.Error => LogLevel.Error,
            _ => LogLevel.Critical,
        };
    }
}
