using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendApi.Core.Accounts;

namespace SendApi.Api.Auth;

/// <summary>Settings under "Admin" (env <c>Admin__*</c>).</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>A bootstrap key with full rights, (re)created at every start when set.</summary>
    public string? ApiKey { get; set; }
}

internal sealed class AdminOptionsValidation : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options) =>
        options.ApiKey is { } key && (key.Length < 16 || key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            ? ValidateOptionsResult.Fail("Admin:ApiKey (env Admin__ApiKey) must be at least 16 characters without spaces.")
            : ValidateOptionsResult.Success;
}

/// <summary>
/// Makes the bootstrap admin key follow the configuration before the server takes requests: set
/// → stored (replacing an earlier secret); removed → revoked. In embedded mode without a configured
/// key, one is generated and printed so that a bare <c>dotnet run</c> is usable at once; on Redis,
/// where several instances start together and logs are collected, nothing is generated.
/// </summary>
internal sealed partial class AdminKeyBootstrap(
    IOptions<AdminOptions> options, IApiKeyStore keys, TimeProvider time, ILogger<AdminKeyBootstrap> logger) : IHostedService
{
    public const string KeyId = "key_admin";
    public const string AccountId = "admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ApiKey is { Length: > 0 } configured)
        {
            await keys.SaveAsync(new ApiKey(KeyId, "Admin (Admin:ApiKey)", AccountId, IsAdmin: true, time.GetUtcNow()) { Prefix = ApiKeySecrets.PrefixOf(configured) }, configured, cancellationToken);
            return;
        }

        if (await keys.DeleteAsync(KeyId, cancellationToken))
        {
            LogRevoked(logger);
        }

        if (keys is IGeneratesBootstrapKey)
        {
            var generated = ApiKeySecrets.Generate();
            await keys.SaveAsync(new ApiKey(KeyId, "Admin (generated)", AccountId, IsAdmin: true, time.GetUtcNow()) { Prefix = ApiKeySecrets.PrefixOf(generated) }, generated, cancellationToken);
            LogGeneratedKey(logger, generated);
        }
        else if (!(await keys.ListAsync(cancellationToken)).Any(k => k.IsAdmin))
        {
            LogNoAdminKey(logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Log event ids 1010–1019 (SendApi.Api's range is 1000–1999, see docs/logging.md); next free: 1013.
    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning,
        Message = "Admin:ApiKey is not set, so this embedded instance generated an admin key for this run: {ApiKey} (use it as 'Authorization: Bearer <key>'; set Admin__ApiKey to choose your own).")]
    private static partial void LogGeneratedKey(ILogger logger, string apiKey);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Admin:ApiKey is no longer set: the bootstrap admin key was revoked.")]
    private static partial void LogRevoked(ILogger logger);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "No admin API key exists: set Admin__ApiKey to create one (it manages keys and opens the /hangfire dashboard).")]
    private static partial void LogNoAdminKey(ILogger logger);
}
