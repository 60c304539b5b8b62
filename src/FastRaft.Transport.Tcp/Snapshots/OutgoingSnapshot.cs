using System.Buffers;
using CommunityToolkit.HighPerformance.Buffers;
using FastRaft.Codec;
using FastRaft.Protocol;

namespace FastRaft.Transport.Tcp.Snapshots;

/// <summary>
/// A snapshot message copied off the node thread for sending: the header frame (the message
/// around the snapshot, data left out) and the data in pooled piece frames of 64 KiB each, each
/// already carrying its kind byte so it is signed and written in place. Never one buffer the
/// size of the snapshot. Returned to the pool by <see cref="Dispose"/>.
/// </summary>
internal sealed class OutgoingSnapshot : IDisposable
{
    /// <summary>The size of a piece frame's payload (kind byte and data): one pooled array each.</summary>
    public const int PieceFrameBytes = SnapshotTransferFormat.KindSize + SnapshotTransferFormat.MaxPieceBytes;

    private readonly byte[][] _pieces;
    private readonly int _lastPieceBytes;

    private OutgoingSnapshot(ulong to, byte[] header, byte[][] pieces, int lastPieceBytes, long dataLength)
    {
        To = to;
        Header = header;
        _pieces = pieces;
        _lastPieceBytes = lastPieceBytes;
        DataLength = dataLength;
    }

    public ulong To { get; }

    /// <summary>The header frame's payload.</summary>
    public byte[] Header { get; }

    public long DataLength { get; }

    public int PieceCount => _pieces.Length;

    /// <summary>The payload of piece frame <paramref name="index"/> (kind byte, then data).</summary>
    public ReadOnlySpan<byte> Piece(int index) =>
        _pieces[index].AsSpan(0, SnapshotTransferFormat.KindSize + (index == _pieces.Length - 1 ? _lastPieceBytes : SnapshotTransferFormat.MaxPieceBytes));

    /// <summary>Copies <paramref name="m"/> (a MsgSnap with its snapshot) at once: its views are only valid during the transport's Send.</summary>
    public static OutgoingSnapshot Copy(in Message m)
    {
        Snapshot snapshot = m.Snapshot ?? throw new ArgumentException("a MsgSnap without a snapshot", nameof(m));
        ReadOnlySpan<byte> data = snapshot.Data.Span;

        Message shell = m;
        shell.Snapshot = new Snapshot(ReadOnlyMemory<byte>.Empty, snapshot.Metadata);
        byte[] header;
        using (var encoded = new ArrayPoolBufferWriter<byte>(256))
        {
            RaftMessageCodec.Write(encoded, in shell);
            header = new byte[SnapshotTransferFormat.HeaderFixedSize + encoded.WrittenCount];
            SnapshotTransferFormat.WriteHeaderPrefix(header, data.Length);
            encoded.WrittenSpan.CopyTo(header.AsSpan(SnapshotTransferFormat.HeaderFixedSize));
        }

        int count = (data.Length + SnapshotTransferFormat.MaxPieceBytes - 1) / SnapshotTransferFormat.MaxPieceBytes;
        var pieces = new byte[count][];
        int last = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> slice = data.Slice(i * SnapshotTransferFormat.MaxPieceBytes, Math.Min(SnapshotTransferFormat.MaxPieceBytes, data.Length - (i * SnapshotTransferFormat.MaxPieceBytes)));
            // A bare rented array, not a MemoryOwner<byte>: that would add an object per piece.
            byte[] piece = ArrayPool<byte>.Shared.Rent(PieceFrameBytes);
            piece[0] = SnapshotTransferFormat.PieceKind;
            slice.CopyTo(piece.AsSpan(SnapshotTransferFormat.KindSize));
            pieces[i] = piece;
            last = slice.Length;
        }
        return new OutgoingSnapshot(m.To, header, pieces, last, data.Length);
    }

    public void Dispose()
    {
        for (int i = 0; i < _pieces.Length; i++)
        {
            if (_pieces[i] is byte[] piece)
            {
                ArrayPool<byte>.Shared.Return(piece);
                _pieces[i] = null!;
            }
        }
    }
}
