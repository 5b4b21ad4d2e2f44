using System.Net;
using SendApi.Api.Features.Inbound;
using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

/// <summary>
/// The SMTP engine calls one handler for every listener: this one sends the inbound listener's
/// sessions (port 25) to <see cref="InboundSmtpHandler"/> and the submission listeners' to
/// <see cref="SmtpSubmissionHandler"/>, so neither feature has to know about the other.
/// </summary>
internal sealed class SmtpListenerRouter(SmtpSubmissionHandler submission, InboundSmtpHandler inbound) : ISmtpMessageHandler
{
    public ValueTask<SmtpIdentity?> AuthenticateAsync(SmtpListenerProfile listener, string userName, string password, CancellationToken cancellationToken) =>
        For(listener).AuthenticateAsync(listener, userName, password, cancellationToken);

    public ValueTask<SmtpIdentity?> IdentifyWithoutAuthAsync(SmtpListenerProfile listener, IPEndPoint? remote, CancellationToken cancellationToken) =>
        For(listener).IdentifyWithoutAuthAsync(listener, remote, cancellationToken);

    public ValueTask<SmtpServerReply?> CheckSenderAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken) =>
        For(session.Listener).CheckSenderAsync(session, address, cancellationToken);

    public ValueTask<SmtpServerReply?> CheckRecipientAsync(SmtpSessionInfo session, string address, CancellationToken cancellationToken) =>
        For(session.Listener).CheckRecipientAsync(session, address, cancellationToken);

    public ValueTask<SmtpServerReply> DeliverAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken) =>
        For(session.Listener).DeliverAsync(session, envelope, message, cancellationToken);

    private ISmtpMessageHandler For(SmtpListenerProfile listener) =>
        listener.Name == SubmissionListeners.Inbound ? inbound : submission;
}
