namespace FastRaft.Transport.Udp;

/// <summary>
/// What a transport has done, as plain numbers (the same counts its metrics publish). Written by
/// the node thread and the receive thread (and wakers), readable from any thread.
/// </summary>
public sealed class UdpTransportCounters
{
    private static readonly int ReasonCount = Enum.GetValues<DropReason>().Length;

    private readonly long[] _drops = new long[ReasonCount];
    internal long _datagramsSent;
    internal long _bytesSent;
    internal long _messageDatagramsSent;
    internal long _messagesSent;
    internal long _datagramsReceived;
    internal long _bytesReceived;
    internal long _messageDatagramsReceived;
    internal long _messagesReceived;
    internal long _chunksSent;
    internal long _chunksReceived;
    internal long _chunksResent;
    internal long _transfersStarted;
    internal long _transfersCompleted;
    internal long _reassembliesStarted;
    internal long _reassembliesCompleted;
    internal long _sendErrors;
    internal long _faultsInjected;
    internal long _receiveLoopAllocatedBytes;
    internal long _overflowBatches;
    internal long _wakeDatagramsSent;
    internal long _wakeDatagramsReceived;

    /// <summary>Datagrams handed to the socket, of every kind.</summary>
    public long DatagramsSent => Volatile.Read(ref _datagramsSent);

    /// <summary>Bytes handed to the socket in sent datagrams (payload only, without IP and UDP headers).</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>Datagrams of batched whole messages sent (MessagesSent / this = messages per datagram).</summary>
    public long MessageDatagramsSent => Volatile.Read(ref _messageDatagramsSent);

    /// <summary>Raft messages sent whole in batched datagrams (chunked messages are counted as transfers).</summary>
    public long MessagesSent => Volatile.Read(ref _messagesSent);

    /// <summary>
    /// Datagrams read from the socket and handled (delivered or dropped: the drop counts are
    /// updated first); wake datagrams are counted apart, in <see cref="WakeDatagramsReceived"/>.
    /// </summary>
    public long DatagramsReceived => Volatile.Read(ref _datagramsReceived);

    /// <summary>Bytes of the datagrams counted in <see cref="DatagramsReceived"/> (payload only).</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Datagrams of batched messages accepted and handed to the node.</summary>
    public long MessageDatagramsReceived => Volatile.Read(ref _messageDatagramsReceived);

    /// <summary>Raft messages handed to the node (whole and reassembled).</summary>
    public long MessagesReceived => Volatile.Read(ref _messagesReceived);

    /// <summary>Chunks of large messages sent, first sends and resends.</summary>
    public long ChunksSent => Volatile.Read(ref _chunksSent);

    /// <summary>Chunks sent again because they were lost, or not acknowledged in time (included in <see cref="ChunksSent"/>).</summary>
    public long ChunksResent => Volatile.Read(ref _chunksResent);

    /// <summary>Chunks accepted into a reassembly (duplicates and stale chunks excluded).</summary>
    public long ChunksReceived => Volatile.Read(ref _chunksReceived);

    /// <summary>Chunked transfers begun by this sender.</summary>
    public long TransfersStarted => Volatile.Read(ref _transfersStarted);

    /// <summary>Chunked transfers the receiver acknowledged as delivered.</summary>
    public long TransfersCompleted => Volatile.Read(ref _transfersCompleted);

    /// <summary>Chunked transfers given up (same as <c>Dropped(DropReason.TransferFailed)</c>).</summary>
    public long TransfersFailed => Dropped(DropReason.TransferFailed);

    /// <summary>Chunked messages from peers whose reassembly began here.</summary>
    public long ReassembliesStarted => Volatile.Read(ref _reassembliesStarted);

    /// <summary>Chunked messages fully reassembled and handed to the node.</summary>
    public long ReassembliesCompleted => Volatile.Read(ref _reassembliesCompleted);

    /// <summary>Reassemblies abandoned after the timeout (same as <c>Dropped(DropReason.ReassemblyTimeout)</c>).</summary>
    public long ReassembliesTimedOut => Dropped(DropReason.ReassemblyTimeout);

    /// <summary>Reassemblies abandoned at their deadline although chunks kept coming (same as <c>Dropped(DropReason.ReassemblyDeadline)</c>).</summary>
    public long ReassembliesPastDeadline => Dropped(DropReason.ReassemblyDeadline);

    /// <summary>Socket send calls that failed (each reported to the node as unreachable).</summary>
    public long SendErrors => Volatile.Read(ref _sendErrors);

    /// <summary>Datagrams lost, duplicated or delayed on purpose by <see cref="UdpFaultInjection"/>.</summary>
    public long FaultsInjected => Volatile.Read(ref _faultsInjected);

    /// <summary>
    /// Bytes the receive thread has allocated inside its loop (diagnostic for the zero-allocation
    /// gate: it must stay flat while datagrams of whole messages flow). Only with
    /// <see cref="UdpTransportOptions.ReceiveThread"/>: in the polled mode the receiving runs on the
    /// node thread, whose own allocation count covers it.
    /// </summary>
    public long ReceiveLoopAllocatedBytes => Volatile.Read(ref _receiveLoopAllocatedBytes);

    /// <summary>
    /// Datagrams received while every pooled inbound batch was still queued at the node (it fell
    /// behind): each went into a small one-off batch, which allocates.
    /// </summary>
    public long OverflowBatches => Volatile.Read(ref _overflowBatches);

    /// <summary>
    /// Wake datagrams sent to this transport's own socket to end the node thread's idle wait (polled
    /// mode): one per wake that found the node thread waiting, none while it is busy.
    /// </summary>
    public long WakeDatagramsSent => Volatile.Read(ref _wakeDatagramsSent);

    /// <summary>
    /// One-byte datagrams read: wake signals (from this transport's waker, or from anyone: they are
    /// not authenticated, carry nothing and cause nothing but an early end of an idle wait), neither
    /// delivered nor counted as drops or in <see cref="DatagramsReceived"/>.
    /// </summary>
    public long WakeDatagramsReceived => Volatile.Read(ref _wakeDatagramsReceived);

    /// <summary>Datagrams, chunks or messages dropped for <paramref name="reason"/> so far.</summary>
    /// <param name="reason">The drop reason to read.</param>
    /// <returns>The count for that reason.</returns>
    public long Dropped(DropReason reason) => Volatile.Read(ref _drops[(int)reason]);

    /// <summary>Drops of every reason.</summary>
    public long DroppedTotal
    {
        get
        {
            long total = 0;
            for (int i = 1; i < _drops.Length; i++)
            {
                total += Volatile.Read(ref _drops[i]);
            }
            return total;
        }
    }

    internal void Drop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    internal static void Add(ref long counter, long value) => Interlocked.Add(ref counter, value);

    internal static void Increment(ref long counter) => Interlocked.Increment(ref counter);
}
