using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

/// <summary>The two submission listeners and how each behaves.</summary>
public static class SubmissionListeners
{
    public const string Starttls = "submission";
    public const string ImplicitTls = "submissions";

    /// <summary>Port 587 (RFC 6409): STARTTLS offered, AUTH required before MAIL.</summary>
    public static SmtpListenerProfile StarttlsProfile(SmtpOptions options) =>
        new(Starttls, ImplicitTls: false, RequireAuth: true, OfferAuth: true, options.AllowInsecureAuth);

    /// <summary>Port 465 (RFC 8314): TLS from the first byte, AUTH required before MAIL.</summary>
    public static SmtpListenerProfile ImplicitTlsProfile(SmtpOptions options) =>
        new(ImplicitTls, ImplicitTls: true, RequireAuth: true, OfferAuth: true, options.AllowInsecureAuth);

    internal static SmtpListenerOptions For(SmtpOptions options, SmtpListenerProfile listener) =>
        listener.Name == ImplicitTls ? options.SubmissionTls : options.Submission;
}
