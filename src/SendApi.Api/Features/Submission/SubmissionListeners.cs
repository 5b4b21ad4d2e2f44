using SendApi.Smtp;

namespace SendApi.Api.Features.Submission;

/// <summary>The SMTP listeners (two for submission, one inbound) and how each behaves.</summary>
public static class SubmissionListeners
{
    public const string Starttls = "submission";
    public const string ImplicitTls = "submissions";
    public const string Inbound = "inbound";

    /// <summary>Port 587 (RFC 6409): STARTTLS offered, AUTH required before MAIL.</summary>
    public static SmtpListenerProfile StarttlsProfile(SmtpOptions options) =>
        new(Starttls, ImplicitTls: false, RequireAuth: true, OfferAuth: true, options.AllowInsecureAuth);

    /// <summary>Port 465 (RFC 8314): TLS from the first byte, AUTH required before MAIL.</summary>
    public static SmtpListenerProfile ImplicitTlsProfile(SmtpOptions options) =>
        new(ImplicitTls, ImplicitTls: true, RequireAuth: true, OfferAuth: true, options.AllowInsecureAuth);

    /// <summary>Port 25: STARTTLS offered (when a certificate exists), no AUTH offered or required.</summary>
    public static SmtpListenerProfile InboundProfile() =>
        new(Inbound, ImplicitTls: false, RequireAuth: false, OfferAuth: false, AllowInsecureAuth: false);

    internal static SmtpListenerOptions For(SmtpOptions options, SmtpListenerProfile listener) =>
        listener.Name switch
        {
            ImplicitTls => options.SubmissionTls,
            Inbound => options.Inbound,
            _ => options.Submission,
        };
}
