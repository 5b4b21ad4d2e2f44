using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SendApi.IntegrationTests.Harness;

/// <summary>Every log entry of an app, kept so a test can check what an operator would see (and must not).</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<CapturedLog> Entries { get; } = new();

    /// <summary>For <see cref="SendApiApp"/>'s service overrides.</summary>
    public void AddTo(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(this);

    public IEnumerable<CapturedLog> WithId(int eventId) => Entries.Where(e => e.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new CapturedLog(category, logLevel, eventId.Id, formatter(state, exception), exception));
    }
}

public sealed record CapturedLog(string Category, LogLevel Level, int EventId, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}[{EventId}] {Message} {Exception?.GetType().Name}";
}
