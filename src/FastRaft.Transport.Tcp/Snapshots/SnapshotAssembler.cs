using System.Buffers;
using FastRaft.Codec;
using FastRaft.Codec.Framing;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Transport.Tcp.Snapshots;

/// <summary>What <see cref="SnapshotAssembler.Accept"/> made of a transfer frame.</summary>
internal enum AssemblyOutcome
{
    /// <summary>Taken; the transfer goes on.</summary>
    InProgress,

    /// <summary>The end frame completed the snapshot: <see cref="SnapshotAssembler.TakeMessage"/> holds it.</summary>
    Completed,

    /// <summary>The transfer is refused (see <see cref="SnapshotAssembler.Refusal"/>): answer Refused and close.</summary>
    Refused,
}

/// <summary>
/// Puts one inbound snapshot transfer back together (one per connection, its receive task
/// only). The data is bounded twice: a transfer may announce at most the transport's
/// MaxSnapshotBytes, and all transfers being assembled at once share a budget of the same size,
/// so a peer cannot make this node hold more than that however many connections it opens.
/// </summary>
internal sealed class SnapshotAssembler(SnapshotBudget budget, long maxSnapshotBytes, ulong peer) : IDisposable
{
    private readonly FramePayloadDecoder _decoder = new();
    private byte[]? _data;
    private int _received;
    private Message _message;

    /// <summary>A transfer has begun and not ended.</summary>
    public bool InProgress => _data is not null;

    /// <summary>Why the last transfer was refused.</summary>
    public string? Refusal { get; private set; }

    public AssemblyOutcome Accept(in ReadOnlySequence<byte> payload)
    {
        Span<byte> kind = stackalloc byte[1];
        payload.Slice(0, 1).CopyTo(kind);
        return kind[0] switch
        {
            SnapshotTransferFormat.HeaderKind => Begin(payload),
            SnapshotTransferFormat.PieceKind => Append(payload.Slice(SnapshotTransferFormat.KindSize)),
            SnapshotTransferFormat.EndKind => End(payload.Length),
            _ => Refuse("a transfer frame of a kind only a sender receives"),
        };
    }

    /// <summary>The completed snapshot message (its snapshot data is a new array the node may keep).</summary>
    public Message TakeMessage()
    {
        Message m = _message;
        _message = default;
        return m;
    }

    private AssemblyOutcome Begin(in ReadOnlySequence<byte> payload)
    {
        if (InProgress)
        {
            return Refuse("a transfer header before the previous transfer ended");
        }
        Span<byte> prefix = stackalloc byte[SnapshotTransferFormat.HeaderFixedSize];
        if (payload.Length < SnapshotTransferFormat.HeaderFixedSize)
        {
            return Refuse("a transfer header too short to hold the data length");
        }
        payload.Slice(0, SnapshotTransferFormat.HeaderFixedSize).CopyTo(prefix);
        SnapshotTransferFormat.TryReadHeaderLength(prefix, out ulong length);
        if (length > (ulong)maxSnapshotBytes || length > (ulong)Array.MaxLength)
        {
            return Refuse($"a snapshot of {length} bytes, above the limit of {maxSnapshotBytes}");
        }
        var entries = new EntryBuffer(1);
        if (!_decoder.TryDecode(payload.Slice(SnapshotTransferFormat.HeaderFixedSize), entries, out Message m, out WireError error))
        {
            return Refuse($"a transfer header whose message does not decode: {error}");
        }
        if (m.Type != MessageType.Snapshot || m.Snapshot is null || !m.Snapshot.Data.IsEmpty)
        {
            return Refuse($"a transfer header carrying a {m.Type}, not a snapshot message without data");
        }
        if (m.From != peer)
        {
            return Refuse($"a snapshot from node {m.From} on node {peer}'s connection");
        }
        if (!budget.TryTake((long)length))
        {
            return Refuse($"a snapshot of {length} bytes while others being received already fill the budget");
        }
        _data = length == 0 ? [] : GC.AllocateUninitializedArray<byte>((int)length);
        _received = 0;
        // The decoded views (context) point into the decoder's scratch or the pipe: copy what is kept.
        m.Context = m.Context.IsEmpty ? ReadOnlyMemory<byte>.Empty : m.Context.ToArray();
        m.Entries = ReadOnlyMemory<Entry>.Empty;
        _message = m;
        return AssemblyOutcome.InProgress;
    }

    private AssemblyOutcome Append(in ReadOnlySequence<byte> bytes)
    {
        if (_data is null)
        {
            return Refuse("a snapshot piece outside a transfer");
        }
        if (bytes.Length > _data.Length - _received)
        {
            return Refuse($"snapshot pieces beyond the announced {_data.Length} bytes");
        }
        bytes.CopyTo(_data.AsSpan(_received));
        _received += (int)bytes.Length;
        return AssemblyOutcome.InProgress;
    }

    private AssemblyOutcome End(long frameLength)
    {
        if (_data is null || frameLength != SnapshotTransferFormat.KindSize)
        {
            return Refuse("a malformed or unexpected transfer end");
        }
        if (_received != _data.Length)
        {
            return Refuse($"a transfer ended after {_received} of {_data.Length} bytes");
        }
        _message.Snapshot = new Snapshot(_data, _message.Snapshot!.Metadata);
        Release();
        return AssemblyOutcome.Completed;
    }

    private AssemblyOutcome Refuse(string why)
    {
        Refusal = why;
        Release();
        _message = default;
        return AssemblyOutcome.Refused;
    }

    private void Release()
    {
        if (_data is not null)
        {
            budget.Return(_data.Length);
            _data = null;
        }
    }

    public void Dispose() => Release();
}

/// <summary>The bytes of snapshots being received at once, bounded transport-wide (thread-safe).</summary>
internal sealed class SnapshotBudget(long capacity)
{
    private long _used;

    public long Used => Volatile.Read(ref _used);

    public bool TryTake(long bytes)
    {
        long used = Volatile.Read(ref _used);
        while (true)
        {
            if (bytes > capacity - used)
            {
                return false;
            }
            long seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used)
            {
                return true;
            }
            used = seen;
        }
    }

    public void Return(long bytes) => Interlocked.Add(ref _used, -bytes);
}
