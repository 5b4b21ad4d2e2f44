using System.Text;

namespace SendApi.Smtp;

/// <summary>Decoding of SASL PLAIN (RFC 4616) and LOGIN responses. Garbage gives false, never an exception.</summary>
internal static class AuthMechanisms
{
    public const string Plain = "PLAIN";
    public const string Login = "LOGIN";

    /// <summary>LOGIN's challenges, base64 of "Username:" and "Password:".</summary>
    public const string UserNameChallenge = "VXNlcm5hbWU6";
    public const string PasswordChallenge = "UGFzc3dvcmQ6";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes one base64 response to UTF-8 text; "=" is the empty initial response (RFC 4954 §4).</summary>
    public static bool TryDecodeText(string response, out string text)
    {
        text = "";
        if (response == "=")
        {
            return true;
        }

        var bytes = new byte[response.Length * 3 / 4 + 3];
        if (response.Length == 0 || !Convert.TryFromBase64String(response, bytes, out var written))
        {
            return false;
        }

        try
        {
            text = StrictUtf8.GetString(bytes, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        finally
        {
            // The password passed through here.
            Array.Clear(bytes);
        }
    }

    /// <summary>PLAIN is authzid NUL authcid NUL passwd; the authzid is ignored (we act as whoever authenticated).</summary>
    public static bool TryParsePlain(string response, out string userName, out string password)
    {
        userName = password = "";
        if (!TryDecodeText(response, out var text))
        {
            return false;
        }

        var parts = text.Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0 || parts[2].Length == 0)
        {
            return false;
        }

        userName = parts[1];
        password = parts[2];
        return true;
    }
}
