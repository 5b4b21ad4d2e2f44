namespace SendApi.Api.Features.Compat;

/// <summary>
/// Endpoint metadata: a route of a provider's API (<see cref="Provider"/>), which answers in that
/// provider's shapes rather than ours (its errors are not problem+json).
/// </summary>
public sealed record CompatApi(string Provider);
