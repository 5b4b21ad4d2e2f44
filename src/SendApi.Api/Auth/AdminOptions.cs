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
/// Stores the configured admin key before the server starts taking requests. Without one, and with
/// no admin key stored yet, a key is generated and printed once, so that a bare <c>dotnet run</c>
/// can be used straight away.
/// </summary>
internal sealed partial class AdminKeyBootstrap(IOptions<AdminOptions> options, IApiKeyStore keys, TimeProvider time, ILogger<AdminKeyBootstrap> logger) : IHostedService
{
    public const string KeyId = "key_admin";
    public const string AccountId = "admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ApiKey is { Length: > 0 } configured)
        {
            await SaveAsync(configured, cancellationToken);
            return;
        }

        if ((await keys.ListAsync(cancellationToken)).Any(k => k.IsAdmin))
        {
            return;
        }

        var generated = ApiKeySecrets.Generate();
        await SaveAsync(generated, cancellationToken);
        LogGeneratedKey(logger, generated);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private Task SaveAsync(string secret, CancellationToken cancellationToken) =>
        keys.SaveAsync(new ApiKey(KeyId, "Admin (bootstrap)", AccountId, IsAdmin: true, time.GetUtcNow()), secret, cancellationToken);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning,
        Message = "Admin:ApiKey is not set, so an admin key was generated: {ApiKey} — use it as 'Authorization: Bearer <key>'. Set Admin__ApiKey to choose your own.")]
    private static partial void LogGeneratedKey(ILogger logger, string apiKey);
}
