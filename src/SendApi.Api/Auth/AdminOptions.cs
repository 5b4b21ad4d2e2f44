using Microsoft.Extensions.Hosting;
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

/// <summary>Stores the configured admin key before the server starts taking requests.</summary>
internal sealed class AdminKeyBootstrap(IOptions<AdminOptions> options, IApiKeyStore keys, TimeProvider time) : IHostedService
{
    public const string KeyId = "key_admin";
    public const string AccountId = "admin";

    public Task StartAsync(CancellationToken cancellationToken) =>
        options.Value.ApiKey is { Length: > 0 } secret
            ? keys.SaveAsync(new ApiKey(KeyId, "Admin (from Admin:ApiKey)", AccountId, IsAdmin: true, time.GetUtcNow()), secret, cancellationToken)
            : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
