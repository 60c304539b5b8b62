using FastRaft.Protocol;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// A one-voter cluster (the leader commits on its own durable write), proposals made with
/// <see cref="Core.RawNode.Propose(ReadOnlyMemory{byte})"/>, driven two ways:
/// <list type="bullet">
/// <item><see cref="ProposeAndCommit"/>: propose a batch, then handle Readys until the node is
/// quiet: the batch is persisted, committed and applied before the next one is proposed (two
/// Readys per batch: one persists it, the next one commits and applies it).</item>
/// <item><see cref="ProposeStreamed"/>: a steady stream: propose a batch, handle one Ready. Each
/// Ready persists the new batch and commits and applies the previous one, as in a busy server
/// (more Readys only when the size limit per Ready leaves more than a batch unapplied).</item>
/// </list>
/// </summary>
public sealed class SingleVoterWorkload
{
    private readonly BenchNode _node;
    private readonly BenchNode?[] _peers;
    private readonly ReadOnlyMemory<byte> _payload;

    public SingleVoterWorkload(int payloadSize)
    {
        _payload = Payloads.Make(payloadSize);
        _node = BenchNode.Create(1, [1]);
        _peers = new BenchNode?[2];
        _peers[1] = _node;
        BenchNode.Check(_node.Node.Campaign());
        Drain();
        if (_node.Node.BasicStatus().SoftState.RaftState != StateType.StateLeader)
        {
            BenchNode.Fail("the single voter did not become leader");
        }
    }

    public BenchNode Node => _node;

    /// <summary>Proposes <paramref name="batch"/> entries, then persists, commits and applies them. Returns the applied index.</summary>
    public ulong ProposeAndCommit(int batch)
    {
        for (int i = 0; i < batch; i++)
        {
            BenchNode.Check(_node.Node.Propose(_payload));
        }
        Drain();
        return _node.Applied;
    }

    /// <summary>Proposes <paramref name="batch"/> entries and handles one Ready (if any). Returns the applied index.</summary>
    public ulong ProposeStreamed(int batch)
    {
        for (int i = 0; i < batch; i++)
        {
            BenchNode.Check(_node.Node.Propose(_payload));
        }
        _node.HandleReady(_peers);
        // A Ready hands out at most MaxCommittedSizePerReady (here MaxSizePerMsg, 1 MiB) of
        // committed entries, less than a batch of 256 4-KiB entries: catch up as a host would,
        // or the stream would fall further behind with every batch.
        while (_node.Node.LastIndex - _node.Applied > (ulong)batch && _node.HandleReady(_peers))
        {
        }
        return _node.Applied;
    }

    /// <summary>The index of the last proposed entry.</summary>
    public ulong LastIndex => _node.Node.LastIndex;

    private void Drain()
    {
        while (_node.HandleReady(_peers))
        {
        }
    }
}
