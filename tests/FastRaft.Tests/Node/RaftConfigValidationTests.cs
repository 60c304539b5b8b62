using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>RaftConfig validation (etcd's Config.validate): invalid settings fail with a clear ArgumentException.</summary>
public class RaftConfigValidationTests
{
    private static RaftConfig Valid() => new()
    {
        Id = 1,
        ElectionTick = 10,
        HeartbeatTick = 1,
        Storage = new MemoryStorage(),
        MaxSizePerMsg = 1024,
    };

    public static TheoryData<string, Action<RaftConfig>> Invalid => new()
    {
        { "cannot use none as id", c => c.Id = LocalIds.None },
        { "cannot use local target as id", c => c.Id = LocalIds.LocalAppendThread },
        { "cannot use local target as id", c => c.Id = LocalIds.LocalApplyThread },
        { "heartbeat tick must be greater than 0", c => c.HeartbeatTick = 0 },
        { "heartbeat tick must be greater than 0", c => c.HeartbeatTick = -1 },
        { "election tick must be greater than heartbeat tick", c => c.ElectionTick = 1 },
        { "election tick must be greater than heartbeat tick", c => (c.ElectionTick, c.HeartbeatTick) = (5, 7) },
        { "storage cannot be nil", c => c.Storage = null },
        { "max inflight messages must be greater than 0", c => c.MaxInflightMsgs = 0 },
        { "max inflight bytes must be >= max message size", c => c.MaxInflightBytes = 1023 },
        { "CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased", c => c.ReadOnlyOption = ReadOnlyOption.ReadOnlyLeaseBased },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_config_is_rejected_with_the_reason(string reason, Action<RaftConfig> breakIt)
    {
        RaftConfig cfg = Valid();
        breakIt(cfg);
        Assert.Equal(reason, cfg.Validate());
        ArgumentException e = Assert.Throws<ArgumentException>(() => new RawNode(cfg));
        Assert.StartsWith(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_config_builds_a_node_and_gets_its_defaults_filled()
    {
        RaftConfig cfg = Valid();
        cfg.CheckQuorum = true;
        cfg.ReadOnlyOption = ReadOnlyOption.ReadOnlyLeaseBased;
        Assert.Null(cfg.Validate());
        Assert.Equal(ulong.MaxValue, cfg.MaxUncommittedEntriesSize);
        Assert.Equal(cfg.MaxSizePerMsg, cfg.MaxCommittedSizePerReady);
        Assert.Equal(ulong.MaxValue, cfg.MaxInflightBytes);

        var node = new RawNode(cfg);
        Assert.Equal(1UL, node.Id);
        Assert.Equal(NodeRole.Follower, node.BasicStatus().SoftState.Role);
    }

    [Fact]
    public void Explicit_limits_are_kept()
    {
        RaftConfig cfg = Valid();
        cfg.MaxInflightBytes = 1024; // equal to MaxSizePerMsg is allowed
        cfg.MaxCommittedSizePerReady = 4096;
        cfg.MaxUncommittedEntriesSize = 1 << 20;
        Assert.Null(cfg.Validate());
        Assert.Equal(1024UL, cfg.MaxInflightBytes);
        Assert.Equal(4096UL, cfg.MaxCommittedSizePerReady);
        Assert.Equal(1UL << 20, cfg.MaxUncommittedEntriesSize);
    }
}
