using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// Three RawNodes in one thread exchanging messages in memory (no sockets, no copies): node 1
/// leads, and a node's messages are stepped into their recipients while its Ready is handled.
/// Proposals are made one <see cref="RawNode.Propose(ReadOnlyMemory{byte})"/> call per entry, or
/// a batch as one MsgProp; the cluster is driven two ways:
/// <list type="bullet">
/// <item>until quiet (<see cref="ProposeEach"/>, <see cref="ProposeAsOneMessage"/>): every node's
/// Readys are handled round-robin until none has one, by which time the batch is committed and
/// applied on all three before the next one is proposed;</item>
/// <item>streamed (<see cref="ProposeEachStreamed"/>, <see cref="ProposeAsOneMessageStreamed"/>): a
/// steady stream where each proposal batch is followed by one round of at most one Ready per
/// node, so a Ready carries new entries and the commit of earlier ones, as in a busy server.</item>
/// </list>
/// </summary>
public sealed class ThreeVoterWorkload
{
    private readonly BenchNode[] _nodes;
    private readonly BenchNode?[] _peers;
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly Entry[] _batch;

    public ThreeVoterWorkload(int payloadSize, int maxBatch = 256)
    {
        _payload = Payloads.Make(payloadSize);
        ulong[] voters = [1, 2, 3];
        _nodes = new BenchNode[3];
        _peers = new BenchNode?[4];
        for (int i = 0; i < 3; i++)
        {
            _nodes[i] = BenchNode.Create(voters[i], voters);
            _peers[voters[i]] = _nodes[i];
        }
        _batch = new Entry[maxBatch];
        for (int i = 0; i < _batch.Length; i++)
        {
            _batch[i] = new Entry(0, 0, EntryType.EntryNormal, _payload);
        }
        BenchNode.Check(Leader.Node.Campaign());
        Pump();
        if (Leader.Node.BasicStatus().SoftState.RaftState != StateType.StateLeader)
        {
            BenchNode.Fail("node 1 did not become leader");
        }
    }

    public BenchNode Leader => _nodes[0];

    public ReadOnlySpan<BenchNode> Nodes => _nodes;

    /// <summary>
    /// Proposes <paramref name="batch"/> entries one <see cref="RawNode.Propose(ReadOnlyMemory{byte})"/>
    /// call each, then runs the cluster until quiet. Like etcd, the leader sends an append per
    /// proposal. Returns the leader's applied index.
    /// </summary>
    public ulong ProposeEach(int batch)
    {
        RawNode leader = Leader.Node;
        for (int i = 0; i < batch; i++)
        {
            BenchNode.Check(leader.Propose(_payload));
        }
        Pump();
        return Leader.Applied;
    }

    /// <summary>
    /// Proposes <paramref name="batch"/> entries as one MsgProp (how a host batches proposals,
    /// as in etcd), then runs the cluster until quiet: one append per follower carries them all.
    /// Returns the leader's applied index.
    /// </summary>
    public ulong ProposeAsOneMessage(int batch)
    {
        var m = new Message
        {
            Type = MessageType.MsgProp,
            From = 1,
            Entries = new ReadOnlyMemory<Entry>(_batch, 0, batch),
        };
        BenchNode.Check(Leader.Node.Step(m));
        Pump();
        return Leader.Applied;
    }

    /// <summary>Like <see cref="ProposeEach"/>, followed by one round of Readys instead of running until quiet.</summary>
    public ulong ProposeEachStreamed(int batch)
    {
        RawNode leader = Leader.Node;
        for (int i = 0; i < batch; i++)
        {
            BenchNode.Check(leader.Propose(_payload));
        }
        Round(batch);
        return Leader.Applied;
    }

    /// <summary>Like <see cref="ProposeAsOneMessage"/>, followed by one round of Readys instead of running until quiet.</summary>
    public ulong ProposeAsOneMessageStreamed(int batch)
    {
        var m = new Message
        {
            Type = MessageType.MsgProp,
            From = 1,
            Entries = new ReadOnlyMemory<Entry>(_batch, 0, batch),
        };
        BenchNode.Check(Leader.Node.Step(m));
        Round(batch);
        return Leader.Applied;
    }

    /// <summary>
    /// Handles at most one Ready of each node, leader first; then more rounds only while a node
    /// has more than <paramref name="batch"/> entries not applied (a Ready hands out at most
    /// MaxCommittedSizePerReady of committed entries), so the stream stays bounded.
    /// </summary>
    public void Round(int batch)
    {
        bool any;
        do
        {
            any = false;
            foreach (BenchNode n in _nodes)
            {
                any |= n.HandleReady(_peers);
            }
        }
        while (any && Lags(batch));
    }

    private bool Lags(int batch)
    {
        ulong last = Leader.Node.LastIndex;
        foreach (BenchNode n in _nodes)
        {
            if (last - n.Applied > (ulong)batch)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Handles Readys round-robin until no node has one.</summary>
    public void Pump()
    {
        bool any = true;
        while (any)
        {
            any = false;
            foreach (BenchNode n in _nodes)
            {
                any |= n.HandleReady(_peers);
            }
        }
    }
}
