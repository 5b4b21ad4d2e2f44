namespace SendApi.Smtp;

/// <summary>
/// Thrown by an <see cref="ISmtpMessageHandler"/> when what it needs (its store) is unreachable for
/// now and it has already reported that. The session answers with a temporary failure (4xx), tries
/// again at the next command that needs the handler, and logs no error: an outage is not a bug in
/// the session, and one outage must not write one error per command.
/// </summary>
public sealed class SmtpHandlerUnavailableException(string message, Exception innerException) : Exception(message, innerException);
