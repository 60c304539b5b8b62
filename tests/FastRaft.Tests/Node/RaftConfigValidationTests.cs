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

    public static TheoryData<string, string, Func<RaftConfig, RaftConfig>> Invalid => new()
    {
        { "cannot use none as id", "Id", c => c with { Id = LocalIds.None } },
        { "cannot use local target as id", "Id", c => c with { Id = LocalIds.LocalAppendThread } },
        { "cannot use local target as id", "Id", c => c with { Id = LocalIds.LocalApplyThread } },
        { "heartbeat tick must be greater than 0", "HeartbeatTick", c => c with { HeartbeatTick = 0 } },
        { "heartbeat tick must be greater than 0", "HeartbeatTick", c => c with { HeartbeatTick = -1 } },
        { "election tick must be greater than heartbeat tick", "ElectionTick", c => c with { ElectionTick = 1 } },
        { "election tick must be greater than heartbeat tick", "ElectionTick", c => c with { ElectionTick = 5, HeartbeatTick = 7 } },
        { "storage cannot be nil", "Storage", c => c with { Storage = null } },
        { "max inflight messages must be greater than 0", "MaxInflightMsgs", c => c with { MaxInflightMsgs = 0 } },
        { "max inflight bytes must be >= max message size", "MaxInflightBytes", c => c with { MaxInflightBytes = 1023 } },
        { "CheckQuorum must be enabled when ReadOnlyOption is LeaseBased", "ReadOnlyOption", c => c with { ReadOnlyOption = ReadOnlyOption.LeaseBased } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_config_is_rejected_with_the_reason_naming_the_setting(string reason, string setting, Func<RaftConfig, RaftConfig> breakIt)
    {
        RaftConfig cfg = breakIt(Valid());
        ArgumentException checkedEarly = Assert.Throws<ArgumentException>(cfg.Validate);
        Assert.StartsWith(reason, checkedEarly.Message, StringComparison.Ordinal);
        Assert.Equal(setting, checkedEarly.ParamName);
        ArgumentException e = Assert.Throws<ArgumentException>(() => new RawNode(cfg));
        Assert.StartsWith(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal(setting, e.ParamName);
    }

    [Fact]
    public void Valid_config_builds_a_node_and_gets_its_defaults_filled()
    {
        RaftConfig cfg = Valid() with { CheckQuorum = true, ReadOnlyOption = ReadOnlyOption.LeaseBased };
        cfg.Validate();
        RaftConfig filled = cfg.WithDefaults();
        Assert.Equal(ulong.MaxValue, filled.MaxUncommittedEntriesSize);
        Assert.Equal(cfg.MaxSizePerMsg, filled.MaxCommittedSizePerReady);
        Assert.Equal(ulong.MaxValue, filled.MaxInflightBytes);
        Assert.Equal(0UL, cfg.MaxInflightBytes); // the caller's object is left as it was

        var node = new RawNode(cfg);
        Assert.Equal(1UL, node.Id);
        Assert.Equal(NodeRole.Follower, node.BasicStatus().SoftState.Role);
    }

    [Fact]
    public void Explicit_limits_are_kept()
    {
        RaftConfig cfg = Valid() with
        {
            MaxInflightBytes = 1024, // equal to MaxSizePerMsg is allowed
            MaxCommittedSizePerReady = 4096,
            MaxUncommittedEntriesSize = 1 << 20,
        };
        cfg.Validate();
        RaftConfig filled = cfg.WithDefaults();
        Assert.Equal(1024UL, filled.MaxInflightBytes);
        Assert.Equal(4096UL, filled.MaxCommittedSizePerReady);
        Assert.Equal(1UL << 20, filled.MaxUncommittedEntriesSize);
    }
}
