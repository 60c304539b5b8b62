using System.Buffers.Binary;
using FastRaft.Core.Quorum;
using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>
/// The leader's queue of ReadIndex requests waiting for a quorum to confirm its leadership.
/// Heartbeats carry a position in this queue (an 8-byte little-endian counter) instead of a
/// request's own context, so one heartbeat round confirms every read queued before it; each
/// voter's highest acknowledged position feeds the ordinary committed-index quorum math.
/// </summary>
internal sealed class ReadOnly(ReadOnlyOption option) : IAckedIndexer
{
    internal readonly record struct Request(Message Req, ulong Index);

    private readonly Dictionary<ulong, ulong> _acks = [];
    private readonly Queue<Request> _unconfirmed = new();

    /// <summary>How many requests were confirmed in the past (and removed from the queue).</summary>
    private ulong _confirmed;

    public ReadOnlyOption Option { get; } = option;

    public int PendingCount => _unconfirmed.Count;

    public void Reset()
    {
        _acks.Clear();
        _unconfirmed.Clear();
        _confirmed = 0;
    }

    /// <summary>Queues a request answered at <paramref name="commitIndex"/> once leadership is confirmed.</summary>
    public void AddRequest(ulong commitIndex, in Message req) => _unconfirmed.Enqueue(new Request(req, commitIndex));

    /// <summary>Records a voter's acknowledgement of a heartbeat context.</summary>
    public void RecvAck(ulong from, ReadOnlySpan<byte> ctx)
    {
        if (ctx.Length != sizeof(ulong))
        {
            return;
        }
        ulong position = BinaryPrimitives.ReadUInt64LittleEndian(ctx);
        if (!_acks.TryGetValue(from, out ulong prev) || prev < position)
        {
            _acks[from] = position;
        }
    }

    /// <summary>Records an acknowledgement of the current queue position (the leader's own ack).</summary>
    public void RecvAck(ulong from, ulong position)
    {
        if (!_acks.TryGetValue(from, out ulong prev) || prev < position)
        {
            _acks[from] = position;
        }
    }

    public bool AckedIndex(ulong voterId, out ulong index) => _acks.TryGetValue(voterId, out index);

    /// <summary>Moves every request a quorum has confirmed into <paramref name="confirmed"/>.</summary>
    public void TakeConfirmed(JointConfig voters, List<Request> confirmed)
    {
        ulong nowConfirmed = voters.CommittedIndex(this);
        if (nowConfirmed <= _confirmed)
        {
            return;
        }
        ulong count = nowConfirmed - _confirmed;
        for (ulong i = 0; i < count && _unconfirmed.Count > 0; i++)
        {
            confirmed.Add(_unconfirmed.Dequeue());
        }
        _confirmed = nowConfirmed;
    }

    /// <summary>
    /// Whether a heartbeat context names a position this leader may have sent: at most the
    /// position of the newest request ever queued this term. Contexts that are not positions
    /// are ignored by <see cref="RecvAck(ulong, ReadOnlySpan{byte})"/> and pass.
    /// </summary>
    public bool IsKnownPosition(ReadOnlySpan<byte> ctx) =>
        ctx.Length != sizeof(ulong) || BinaryPrimitives.ReadUInt64LittleEndian(ctx) <= _confirmed + (ulong)_unconfirmed.Count;

    /// <summary>The queue position that confirms all current requests, or 0 when none is pending.</summary>
    public ulong HeartbeatPosition => _unconfirmed.Count == 0 ? 0 : _confirmed + (ulong)_unconfirmed.Count;
}
