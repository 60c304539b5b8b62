using System.Collections.Concurrent;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Transport.Tcp.Polling;

namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    /// <summary>Bytes one poll reads from one connection at most, so one busy peer cannot starve the others or the node.</summary>
    private const int MaxBytesPerConnectionPoll = 256 * 1024;

    /// <summary>The node thread's wait source in polled mode; null with receive tasks.</summary>
    private readonly TcpWaitSource? _waitSource;

    /// <summary>Connections whose handshake finished, waiting for the node thread to take them.</summary>
    private readonly ConcurrentQueue<PolledConnection> _handovers = new();

    /// <summary>Inbound connections the node thread reads (node thread only).</summary>
    private readonly List<PolledConnection> _polled = [];

    private readonly EntryBuffer _pollEntries = new(64);

    /// <summary><see cref="TcpTransportOptions.SnapshotIdleTimeout"/> in timestamp units of the node's clock.</summary>
    private readonly long _snapshotIdleTicks;

    /// <summary>
    /// Polled mode (the default): what the node thread waits on when idle — its inbound
    /// connections' sockets, or a wake from another thread. Null with
    /// <see cref="TcpTransportOptions.ReceiveTasks"/>.
    /// </summary>
    public IWaitSource? WaitSource => _waitSource;

    /// <summary>
    /// Polled mode (node thread only): reads what each inbound connection has without blocking,
    /// cuts frames from it in place and hands their messages to the sink on this thread (the node
    /// steps them at once); takes over connections whose handshake finished meanwhile; closes
    /// connections that ended or misbehaved (counted). Returns the messages delivered (0: nothing
    /// arrived). With receive tasks it does nothing and returns 0. Handshakes, dialling and
    /// snapshot sending stay on background tasks either way: they are rare and may wait.
    /// </summary>
    public int Poll(long now)
    {
        if (_waitSource is null || _sink is not ITransportSink sink || _disposed)
        {
            return 0;
        }
        bool changed = false;
        while (_handovers.TryDequeue(out PolledConnection? taken))
        {
            _polled.Add(taken);
            changed = true;
        }
        int work = 0;
        for (int i = _polled.Count - 1; i >= 0; i--)
        {
            PolledConnection c = _polled[i];
            if (!PollConnection(c, sink, now, ref work))
            {
                _polled[i] = _polled[^1];
                _polled.RemoveAt(_polled.Count - 1);
                Close(c);
                changed = true;
            }
        }
        if (changed)
        {
            WatchPolledSockets();
        }
        return work;
    }

    /// <summary>Reads one connection; false when it must close.</summary>
    private bool PollConnection(PolledConnection c, ITransportSink sink, long now, ref int work)
    {
        SocketRead read = c.ReceiveAvailable(MaxBytesPerConnectionPoll);
        if (read == SocketRead.Nothing)
        {
            // A snapshot transfer that stopped making progress must not hold its budget for ever.
            return c.LastActivity == 0 || !c.Transfer.InProgress || now - c.LastActivity <= _snapshotIdleTicks;
        }
        c.LastActivity = now;
        if (!c.Channel.Reader.TryRead())
        {
            return read != SocketRead.Ended;
        }
        if (!TakeFrames(c.Channel, c.Peer, c.Transfer, _pollEntries, sink, out int delivered))
        {
            return false;
        }
        work += delivered;
        return read != SocketRead.Ended;
    }

    private void Close(PolledConnection c)
    {
        if (c.Transfer.InProgress)
        {
            Interlocked.Increment(ref Counters.SnapshotsRefusedField);
        }
        Interlocked.Decrement(ref _inbound);
        c.Dispose();
    }

    private void WatchPolledSockets()
    {
        List<System.Net.Sockets.Socket> watched = _waitSource!.Watched;
        watched.Clear();
        for (int i = 0; i < _polled.Count; i++)
        {
            watched.Add(_polled[i].Socket);
        }
    }

    /// <summary>Closes what the node thread was reading (on dispose).</summary>
    private void ClosePolled()
    {
        while (_handovers.TryDequeue(out PolledConnection? pending))
        {
            _polled.Add(pending);
        }
        foreach (PolledConnection c in _polled)
        {
            c.Dispose();
        }
        _polled.Clear();
        _waitSource?.Dispose();
    }
}
