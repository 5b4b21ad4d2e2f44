using SendApi.Storage;

namespace SendApi.UnitTests.Storage;

public sealed class DurabilityOptionsTests
{
    private static string? Error(string durability, string? redis = "127.0.0.1:6379", string timeout = "2s", string wait = "1s", int replicas = 1) =>
        new StorageOptionsValidation().Validate(null, new StorageOptions
        {
            RedisConnectionString = redis,
            Durability = durability,
            Timeout = timeout,
            DurabilityTimeout = wait,
            Replicas = replicas,
        }).FailureMessage;

    [Theory]
    [InlineData("process", null)]
    [InlineData("FSYNC", null)]
    [InlineData("replica", null)]
    [InlineData("disk", "Storage:Durability (env Storage__Durability) must be 'process', 'fsync' or 'replica'; got 'disk'.")]
    [InlineData("1", "Storage:Durability (env Storage__Durability) must be 'process', 'fsync' or 'replica'; got '1'.")]
    public void The_level_is_one_of_three_names(string durability, string? error) =>
        Assert.Equal(error, Error(durability));

    [Fact]
    public void A_level_above_process_needs_redis()
    {
        Assert.Null(Error("process", redis: null));
        Assert.StartsWith("Storage:Durability (env Storage__Durability) 'replica' needs Redis (ConnectionStrings__Redis)", Error("replica", redis: null));
    }

    [Theory]
    [InlineData("2s", "2s")]
    [InlineData("2s", "5ms")]
    [InlineData("2s", "soon")]
    public void The_wait_is_shorter_than_the_storage_timeout_because_commands_queue_behind_it(string timeout, string wait) =>
        Assert.StartsWith("Storage:DurabilityTimeout (env Storage__DurabilityTimeout) must be a duration from 10ms to less than Storage__Timeout", Error("replica", timeout: timeout, wait: wait));

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void Replicas_are_counted_from_one(int replicas) =>
        Assert.Equal($"Storage:Replicas (env Storage__Replicas) must be from 1 to 16; got {replicas}.", Error("replica", replicas: replicas));
}
