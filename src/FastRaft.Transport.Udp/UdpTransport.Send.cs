using System.Buffers.Binary;
using FastRaft.Codec;
using FastRaft.Protocol;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

public sealed partial class UdpTransport
{
    /// <summary>A batch datagram's body starts with the message count (uint16).</summary>
    private const int BatchBodyStart = DatagramHeader.Size + sizeof(ushort);

    private readonly DatagramSealer _nodeSealer;

    /// <summary>Bytes of a batch datagram before its MAC: header, count, messages.</summary>
    private readonly int _batchLimit;

    /// <summary>Peers with a datagram being filled since the last flush (node thread).</summary>
    private Peer[] _queued = new Peer[8];
    private int _queuedCount;

    /// <summary>
    /// Encodes <paramref name="message"/> into the datagram being batched for its recipient
    /// (sending that datagram first if the message does not fit). A message larger than a
    /// datagram, and every snapshot, starts a chunked transfer at once. A message to an unknown
    /// peer is dropped, counted and reported unreachable (for a member of the configuration the
    /// address book is asked first; see <see cref="OnConfigurationChanged"/>). Node thread only.
    /// </summary>
    /// <exception cref="ArgumentException">A node-local message (the codec refuses it, before writing anything).</exception>
    public void Send(in Message message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_peers.TryGet(message.To, out Peer peer) && !TryResolveMember(message.To, out peer))
        {
            NoPeer(message.To);
            return;
        }
        long size = RaftMessageCodec.EncodedSize(in message);
        if (message.Type == MessageType.Snapshot || size > MaxBatchedMessageSize)
        {
            SendBatch(peer);
            _transfers.Start(peer, in message, size);
            return;
        }
        if (peer.BatchCount > 0 && peer.Batch.Written + size > _batchLimit)
        {
            SendBatch(peer);
        }
        if (peer.BatchCount == 0)
        {
            peer.Batch.Reset(BatchBodyStart);
        }
        RaftMessageCodec.Write(peer.Batch, in message);
        peer.BatchCount++;
        if (!peer.Queued)
        {
            Queue(peer);
        }
    }

    /// <summary>Sends the datagrams batched since the last flush. Node thread only.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int i = 0; i < _queuedCount; i++)
        {
            Peer p = _queued[i];
            _queued[i] = null!;
            p.Queued = false;
            SendBatch(p);
        }
        _queuedCount = 0;
    }

    private void Queue(Peer peer)
    {
        if (_queuedCount == _queued.Length)
        {
            Array.Resize(ref _queued, _queued.Length * 2);
        }
        _queued[_queuedCount++] = peer;
        peer.Queued = true;
    }

    /// <summary>Seals and sends the peer's pending datagram, if it has messages.</summary>
    private void SendBatch(Peer peer)
    {
        int count = peer.BatchCount;
        if (count == 0)
        {
            return;
        }
        peer.BatchCount = 0;
        Span<byte> d = peer.Batch.Array;
        BinaryPrimitives.WriteUInt16LittleEndian(d[DatagramHeader.Size..], (ushort)count);
        int length = _nodeSealer.Seal(d, peer.Batch.Written, DatagramKind.Messages, peer.Id);
        _output.Send(peer, d[..length]);
        UdpTransportCounters.Increment(ref _counters._messageDatagramsSent);
        UdpTransportCounters.Add(ref _counters._messagesSent, count);
        _metrics.RecordBatch(count);
    }

    private void NoPeer(ulong to)
    {
        _counters.Drop(DropReason.UnknownPeer);
        _output.Sink?.ReportUnreachable(to);
    }
}
