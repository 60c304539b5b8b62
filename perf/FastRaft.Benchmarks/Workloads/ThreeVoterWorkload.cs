using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// Three RawNodes in one thread exchanging messages in memory (no sockets, no copies): node 1
/// leads; after each proposal batch every node's Readys are handled round-robin until all are
/// quiet, by which time the batch is committed and applied on all three.
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
