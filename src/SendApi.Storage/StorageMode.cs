namespace SendApi.Storage;

/// <summary>Which of the two storage modes this process runs in, decided once at start.</summary>
public sealed record StorageMode(bool IsRedis, string Description);
