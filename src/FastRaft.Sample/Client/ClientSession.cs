using FastRaft.Sample.Matching;
using FastRaft.Sample.Workload;

namespace FastRaft.Sample.Client;

/// <summary>One client id of an <see cref="OrderClient"/>: its order flow and the one command it has in flight.</summary>
internal sealed class ClientSession(int index, ulong clientId, OrderFlow flow)
{
    public int Index { get; } = index;

    public ulong ClientId { get; } = clientId;

    public OrderFlow Flow { get; } = flow;

    public ulong Sequence;
    public OrderCommand Command;
    public byte[] Request = [];
    public ulong RequestId;
    public bool InFlight;
    public long FirstSent;
    public long LastSent;

    /// <summary>When to resend (0: on the attempt timeout).</summary>
    public long RetryAt;

    public ulong Target;
    public long Acked;
    public ulong LastAckedSequence;
}
