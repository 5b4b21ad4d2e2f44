using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SendApi.IntegrationTests.Harness;

namespace SendApi.IntegrationTests.ApiKeys;

/// <summary>Creating keys with scopes, domains, limits and sandbox as an admin would, and using them over HTTP and SMTP.</summary>
internal static class ApiKeysTestKit
{
    /// <summary>POST /api-keys with the admin key, which must answer 201; returns the whole answer (the secret in "key").</summary>
    public static async Task<JsonNode> CreateKeyAsync(this SendApiApp app, object request)
    {
        var response = await app.Client().PostAsJsonAsync("/api-keys", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /api-keys answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    public static HttpClient ClientOf(this SendApiApp app, JsonNode createdKey) => app.Client((string)createdKey["key"]!);

    public static object Mail(string from, string to) => new { from, to = new[] { to }, subject = "Hello", text = "x" };

    public static string Unique(string local, string domain = "example.test") => $"{local}-{Guid.NewGuid():N}@{domain}";

    /// <summary>A problem+json answer with this status; returns its body.</summary>
    public static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}, not {(int)status}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!;
    }

    /// <summary>
    /// An SMTP session by hand on port 587, authenticated with <paramref name="secret"/> as the
    /// password (Smtp:AllowInsecureAuth must be set): the test reads each reply line exactly.
    /// </summary>
    public static async Task<(TcpClient Connection, RawSmtp Smtp)> RawSubmissionAsync(this SendApiApp app, string secret)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, app.SubmissionPort);
        var smtp = new RawSmtp(tcp.GetStream());
        await smtp.ReadReplyAsync();
        await smtp.CommandAsync("EHLO app.acme.test", "250");
        await smtp.CommandAsync($"AUTH PLAIN {Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0apikey\0{secret}"))}", "235");
        return (tcp, smtp);
    }

    /// <summary>MAIL, RCPT, DATA and a small message with this From header; returns the reply to the final dot.</summary>
    public static async Task<string> SendAsync(this RawSmtp smtp, string mailFrom, string headerFrom, string to)
    {
        await smtp.CommandAsync($"MAIL FROM:<{mailFrom}>", "250");
        await smtp.CommandAsync($"RCPT TO:<{to}>", "250");
        await smtp.CommandAsync("DATA", "354");
        await smtp.WriteAsync($"From: {headerFrom}\r\nTo: {to}\r\nSubject: by hand\r\n\r\nx\r\n.\r\n");
        return await smtp.ReadReplyAsync();
    }

    /// <summary>An authenticated MailKit client on port 587 (STARTTLS) with <paramref name="secret"/> as the AUTH password.</summary>
    public static async Task<SmtpClient> SubmissionClientAsync(this SendApiApp app, string secret)
    {
        var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, LocalDomain = "app.acme.test" };
        await client.ConnectAsync("127.0.0.1", app.SubmissionPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("apikey", secret);
        return client;
    }

    public static MimeMessage MimeMail(string from, string to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "via SMTP";
        message.Body = new TextPart("plain") { Text = "x" };
        return message;
    }
}
