using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SendApi.UnitTests.Smtp.Infrastructure;

/// <summary>Keeps every log entry so tests can check what an operator would see (and what they must not).</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));
    }
}

internal sealed record LogEntry(LogLevel Level, int EventId, string Message);
