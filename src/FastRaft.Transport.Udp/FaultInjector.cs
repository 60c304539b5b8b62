namespace FastRaft.Transport.Udp;

/// <summary>
/// Applies <see cref="UdpFaultInjection"/> to outbound datagrams. Serialized by a lock (it is
/// test-only, and both transport threads send); the held-back datagram lives in one reused buffer.
/// </summary>
internal sealed class FaultInjector(UdpFaultInjection options, int maxDatagramSize, UdpTransportCounters counters)
{
    private readonly Lock _gate = new();
    private readonly Random _random = new(options.Seed);
    private readonly byte[] _held = new byte[maxDatagramSize];
    private int _heldLength;
    private Peer? _heldPeer;

    public void Send(DatagramOutput output, Peer peer, ReadOnlySpan<byte> datagram)
    {
        lock (_gate)
        {
            bool chunk = datagram.Length > 5 && datagram[5] == (byte)Wire.DatagramKind.Chunk;
            if (Roll(options.LossRate) || (chunk && Roll(options.ChunkLossRate)))
            {
                Injected();
                return;
            }
            if (_heldPeer is null && Roll(options.ReorderRate))
            {
                Injected();
                datagram.CopyTo(_held);
                _heldLength = datagram.Length;
                _heldPeer = peer;
                return;
            }
            output.SendNow(peer, datagram);
            if (Roll(options.DuplicateRate))
            {
                Injected();
                output.SendNow(peer, datagram);
            }
            SendHeld(output);
        }
    }

    /// <summary>Whether a datagram is held back (read without the lock: a hint for how long to wait).</summary>
    public bool HasHeld => Volatile.Read(ref _heldPeer) is not null;

    /// <summary>Sends the held-back datagram, if any; returns whether there was one.</summary>
    public bool ReleaseHeld(DatagramOutput output)
    {
        lock (_gate)
        {
            return SendHeld(output);
        }
    }

    private bool SendHeld(DatagramOutput output)
    {
        if (_heldPeer is Peer p)
        {
            _heldPeer = null;
            output.SendNow(p, _held.AsSpan(0, _heldLength));
            return true;
        }
        return false;
    }

    private bool Roll(double probability) => probability > 0 && _random.NextDouble() < probability;

    private void Injected() => UdpTransportCounters.Increment(ref counters._faultsInjected);
}
