using System.Collections.Concurrent;
using System.Net;
using System.Text;
using SendApi.Smtp;

namespace SendApi.UnitTests.Smtp.Infrastructure;

/// <summary>Stands for the application's handler: fixed credentials, a few refusals, and a record of every call.</summary>
internal sealed class RecordingMessageHandler : ISmtpMessageHandler
{
    public const string Password = "s3cret-key";

    private int _authenticateCalls;
    private int _deliverCalls;

    public SmtpIdentity? TrustedIdentity { get; set; }

    /// <summary>When set, CheckRecipientAsync waits for it (to observe what the client has received meanwhile).</summary>
    public TaskCompletionSource? RecipientGate { get; set; }

    /// <summary>When set, DeliverAsync answers with this instead of queuing (after reading the message).</summary>
    public Func<SmtpServerReply>? DeliverReply { get; set; }

    /// <summary>When set, decides each RCPT TO instead of the built-in "unknown@" rule.</summary>
    public Func<string, SmtpServerReply?>? RecipientCheck { get; set; }

    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    public ConcurrentQueue<string> Senders { get; } = new();

    public int AuthenticateCalls => _authenticateCalls;

    public int DeliverCalls => _deliverCalls;

    public ValueTask<SmtpIdentity?> AuthenticateAsync(SmtpListenerProfile listener, string userName, string password, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _authenticateCalls);
        return ValueTask.FromResult(password == Password ? new SmtpIdentity("key-1", userName) : null);
    }

    public ValueTask<SmtpIdentity?> IdentifyWithoutAuthAsync(SmtpListenerProfile listener, IPEndPoint? remote, CancellationToken cancellationToken) =>
        ValueTask.FromResult(TrustedIdentity);

    public ValueTask<SmtpServerReply?> CheckSenderAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken)
    {
        Senders.Enqueue(address);
        return ValueTask.FromResult(address.StartsWith("blocked@", StringComparison.Ordinal)
            ? new SmtpServerReply(550, "5.7.1", "Sender blocked")
            : null);
    }

    public async ValueTask<SmtpServerReply?> CheckRecipientAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken)
    {
        if (RecipientGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (RecipientCheck is { } check)
        {
            return check(address);
        }

        return address.StartsWith("unknown@", StringComparison.Ordinal) ? new SmtpServerReply(550, "5.1.1", "No such user") : null;
    }

    public async ValueTask<SmtpServerReply> DeliverAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        var number = Interlocked.Increment(ref _deliverCalls);
        using var copy = new MemoryStream();
        await message.CopyToAsync(copy, cancellationToken);
        if (DeliverReply is { } reply)
        {
            return reply();
        }

        Deliveries.Enqueue(new Delivery(session, envelope, copy.ToArray()));
        return new SmtpServerReply(250, "2.0.0", $"Ok: queued as m{number}");
    }
}

internal sealed record Delivery(SmtpSessionInfo Session, SmtpEnvelope Envelope, byte[] Content)
{
    public string Text => Encoding.UTF8.GetString(Content);
}
