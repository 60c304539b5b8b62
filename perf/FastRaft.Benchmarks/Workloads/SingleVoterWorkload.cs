using FastRaft.Protocol;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// A one-voter cluster (the leader commits on its own durable write): propose a batch with
/// <see cref="Core.RawNode.Propose(ReadOnlyMemory{byte})"/>, then handle Readys until the node is
/// quiet, by which time the batch is persisted, committed and applied.
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

    private void Drain()
    {
        while (_node.HandleReady(_peers))
        {
        }
    }
}
