using System.Diagnostics;

namespace SendApi.IntegrationTests.Infrastructure;

/// <summary>
/// An independent DKIM verifier: Debian's python3-dkim (dkimpy), run by /usr/bin/python3 with
/// Peers/dkim_verify.py, looking the key up in the tests' dnsmasq. tests/run.sh installs it.
/// </summary>
internal static class DkimPy
{
    /// <summary>Whether the message's (first) DKIM signature verifies, and what dkimpy said.</summary>
    public static async Task<(bool Verified, string Output)> VerifyAsync(byte[] message, DnsServer dns)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Peers", "dkim_verify.py");
        var start = new ProcessStartInfo(AiosmtpdSink.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, "127.0.0.1", dns.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(message);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        var said = (await output + await error).Trim();
        Assert.True(process.ExitCode is 0 or 1, $"dkim_verify.py failed (is python3-dkim installed? tests/run.sh installs it): {said}");
        return (process.ExitCode == 0, said);
    }
}
