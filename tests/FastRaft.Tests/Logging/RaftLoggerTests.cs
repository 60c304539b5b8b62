using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Tests.Log;
using Microsoft.Extensions.Logging;

namespace FastRaft.Tests.Logging;

/// <summary>
/// The internal front over <see cref="ILogger"/>: a disabled level formats and allocates nothing,
/// an enabled one reaches <see cref="ILogger.Log{TState}"/> with the right level, text and event id.
/// </summary>
public class RaftLoggerTests
{
    [Fact]
    public void A_disabled_level_allocates_nothing_and_writes_nothing()
    {
        var target = new CapturingLogger(LogLevel.Warning);
        var log = new RaftLogger(target);
        ulong id = 0x1f;
        int sent = 42;
        var term = new HardState(3, 1, 7);
        // Warm up: the handler and IsEnabled are jitted before counting.
        Lines(log, id, sent, term, 10);
        Lines(RaftLogger.Null, id, sent, term, 10);

        long allocated = AllocationCounter.Steady(() => Lines(log, id, sent, term, 1000));
        long allocatedNull = AllocationCounter.Steady(() => Lines(RaftLogger.Null, id, sent, term, 1000));

        Assert.Equal(0, allocated);
        Assert.Equal(0, allocatedNull);
        Assert.Empty(target.Lines);
    }

    private static void Lines(RaftLogger log, ulong id, int sent, HardState hs, int count)
    {
        for (int i = 0; i < count; i++)
        {
            log.Debug($"{id:x} sent {sent} messages at term {hs.Term}, commit {hs.Commit}");
            log.Info($"{id:x} became follower at term {hs.Term}");
            log.Info(RaftLogEvents.WalRecovered, $"{id:x} recovered {sent}");
        }
    }

    [Fact]
    public void An_enabled_level_is_written_through_ILogger_with_its_level_text_and_event_id()
    {
        var target = new CapturingLogger(LogLevel.Debug);
        var log = new RaftLogger(target);

        log.Debug($"{0x2a:x} debug");
        log.Info($"info {7}");
        log.Warning(RaftLogEvents.MessageRefused, $"warn {1.5}");
        log.Error($"error");

        Assert.Equal(["DEBUG 2a debug", "INFO info 7", "WARN warn 1.5", "ERROR error"], target.Lines);
        Assert.Equal([default, default, RaftLogEvents.MessageRefused, default], target.Events);
    }

    [Fact]
    public void A_panic_is_logged_as_critical_with_its_event_id_and_throws()
    {
        var target = new CapturingLogger(LogLevel.Debug);
        var log = new RaftLogger(target);

        RaftPanicException e = Assert.Throws<RaftPanicException>(() => log.Panic("broken invariant"));

        Assert.Equal("broken invariant", e.Message);
        Assert.Equal(["FATAL broken invariant"], target.Lines);
        Assert.Equal([RaftLogEvents.Panic], target.Events);
    }

    [Fact]
    public void The_core_logs_through_the_configured_ILogger_from_its_minimum_level()
    {
        var target = new CapturingLogger(LogLevel.Information);
        var storage = new MemoryStorage();
        Assert.Equal(Core.Storage.StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1] }, 1, 1))));

        var node = new RawNode(new RaftConfig { Id = 1, Storage = storage, ElectionTick = 10, HeartbeatTick = 1, Applied = 1, Logger = target });
        node.Campaign();

        Assert.Contains(target.Lines, l => l.StartsWith("INFO newRaft 1 [peers: [1]", StringComparison.Ordinal));
        Assert.Contains("INFO 1 became candidate at term 1", target.Lines);
        Assert.DoesNotContain(target.Lines, l => l.StartsWith("DEBUG", StringComparison.Ordinal));
    }
}
