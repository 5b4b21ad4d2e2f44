using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DnsClient;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using SendApi.IntegrationTests.Infrastructure;

namespace SendApi.IntegrationTests.Harness;

internal static class DomainsTestKit
{
    /// <summary>A new API key (not admin) of <paramref name="accountId"/>; returns its secret.</summary>
    public static async Task<string> CreateKeyAsync(this SendApiApp app, string accountId)
    {
        var response = await app.Client().PostAsJsonAsync("/api-keys", new { name = accountId, account_id = accountId });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /api-keys answered {(int)response.StatusCode}: {body}");
        return (string)JsonNode.Parse(body)!["key"]!;
    }

    /// <summary>POST /domains, which must answer 201; returns the body.</summary>
    public static async Task<JsonNode> RegisterDomainAsync(this HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("/domains", new { name });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /domains answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>POST /domains/{name}/verify, which must answer 200; returns the body.</summary>
    public static async Task<JsonNode> VerifyDomainAsync(this HttpClient client, string name)
    {
        var response = await client.PostAsync($"/domains/{name}/verify", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /domains/{name}/verify answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The record of a POST/GET /domains answer with this <c>purpose</c>.</summary>
    public static JsonNode DnsRecord(JsonNode domain, string purpose) =>
        domain["dns_records"]!.AsArray().Single(r => (string?)r!["purpose"] == purpose)!;

    /// <summary>The DKIM TXT record of a POST/GET /domains answer: (name, value).</summary>
    public static (string Name, string Value) DkimRecord(JsonNode domain)
    {
        var record = domain["dns_records"]!.AsArray().Single(r => ((string)r!["name"]!).Contains("._domainkey.", StringComparison.Ordinal))!;
        Assert.Equal("TXT", (string?)record["type"]);
        return ((string)record["name"]!, (string)record["value"]!);
    }

    /// <summary>dnsmasq's log once it shows <paramref name="text"/> (it is read from the process asynchronously), or after 5 s.</summary>
    public static async Task<string> OutputSoonContainingAsync(this DnsServer dns, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!dns.Output.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return dns.Output;
    }

    /// <summary>The tags of a DKIM-Signature header value, folding whitespace removed.</summary>
    public static Dictionary<string, string> Tags(string signature) =>
        signature.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(tag => tag.Split('=', 2))
            .ToDictionary(kv => kv[0].Trim(), kv => string.Concat(kv[1].Where(c => !char.IsWhiteSpace(c))));

    /// <summary>Verifies the message's one DKIM-Signature as a receiving MTA would, keys from <paramref name="dns"/>.</summary>
    public static async Task<bool> VerifyAsync(MimeMessage message, LookupClient dns)
    {
        var signature = Assert.Single(message.Headers, h => h.Id == HeaderId.DkimSignature);
        return await new DkimVerifier(new DnsKeyLocator(dns)).VerifyAsync(message, signature);
    }
}

/// <summary>
/// Finds DKIM public keys the way a receiver does: a TXT query for
/// <c>&lt;selector&gt;._domainkey.&lt;domain&gt;</c> to a real DNS server, the record's
/// character-strings joined (a 2048-bit key does not fit in one).
/// </summary>
internal sealed class DnsKeyLocator(LookupClient dns) : DkimPublicKeyLocatorBase
{
    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        var name = $"{selector}._domainkey.{domain}";
        var response = await dns.QueryAsync(name, QueryType.TXT, cancellationToken: cancellationToken);
        var record = response.Answers.TxtRecords().SingleOrDefault()
            ?? throw new InvalidOperationException($"No TXT record for {name} ({response.Header.ResponseCode}).");
        return GetPublicKey(string.Concat(record.Text));
    }
}
