using System.Net;
using System.Net.Sockets;

namespace FastRaft.Tests.EndToEnd;

/// <summary>What a <see cref="TcpFaultProxy"/> does with the bytes and connections of its link.</summary>
internal enum LinkState
{
    /// <summary>Bytes flow both ways.</summary>
    Forwarding,

    /// <summary>
    /// Black-holed: connections stay open and new ones are accepted, but no byte is forwarded; what
    /// was held flows once the link forwards again (a network that stops delivering, then recovers).
    /// </summary>
    Stalled,

    /// <summary>Partitioned: open connections were reset and new ones are reset as soon as they are accepted.</summary>
    Cut,
}

/// <summary>
/// A test-only TCP proxy on 127.0.0.1 for one directed link between two nodes: the dialling node's
/// address for its peer is this proxy's, and each accepted connection is relayed to the peer's
/// current listener. The test can reset the open connections, stall the link and cut it.
/// Bounded: at most <see cref="MaxConnections"/> relays (more are reset at accept), two fixed
/// buffers each, and a stalled relay stops reading (the kernel's buffers and the sender's
/// backpressure take the rest). Disposing closes the listener and every relay and awaits them.
/// </summary>
internal sealed class TcpFaultProxy : IAsyncDisposable
{
    public const int MaxConnections = 16;
    private const int BufferSize = 16 * 1024;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    private readonly Func<IPEndPoint> _target;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<Relay> _relays = [];
    private readonly List<Task> _tasks = [];
    private readonly Task _acceptLoop;
    private TaskCompletionSource _flowing = NewFlowing(completed: true);
    private LinkState _state;
    private long _accepted;
    private long _resets;
    private long _refused;
    private long _bytes;

    /// <param name="target">The listener the link leads to (asked per connection, so a restarted node may move).</param>
    /// <param name="receiveBufferBytes">
    /// The kernel's receive buffer of the dialler's side (null: the system's, which grows to
    /// megabytes): small, a stalled link soon pushes back on its sender.
    /// </param>
    public TcpFaultProxy(string name, Func<IPEndPoint> target, int? receiveBufferBytes = null)
    {
        Name = name;
        _target = target;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBufferBytes is int bytes)
        {
            // Set before listening, so accepted connections inherit it (and their window follows).
            _listener.ReceiveBufferSize = bytes;
        }
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(MaxConnections);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    public string Name { get; }

    /// <summary>Where the dialling node connects.</summary>
    public IPEndPoint EndPoint { get; }

    public LinkState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Connections relayed to the target.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Relays reset by <see cref="ResetConnections"/> or by cutting the link.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Connections reset at accept (link cut, or too many relays, or the target unreachable).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Bytes relayed, both directions.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytes);

    /// <summary>Resets every open connection of the link (both ends see a reset); new ones are accepted as before.</summary>
    public void ResetConnections()
    {
        Relay[] open;
        lock (_gate)
        {
            open = [.. _relays];
            _relays.Clear();
        }
        foreach (Relay r in open)
        {
            r.Reset();
            Interlocked.Increment(ref _resets);
        }
    }

    /// <summary>Stops forwarding (connections stay open, bytes are held).</summary>
    public void Stall() => SetState(LinkState.Stalled);

    /// <summary>Resets the open connections and refuses new ones until <see cref="Heal"/>.</summary>
    public void Cut()
    {
        SetState(LinkState.Cut);
        ResetConnections();
    }

    /// <summary>Forwards again (held bytes flow on).</summary>
    public void Heal() => SetState(LinkState.Forwarding);

    private void SetState(LinkState state)
    {
        lock (_gate)
        {
            _state = state;
            if (state == LinkState.Forwarding)
            {
                _flowing.TrySetResult();
            }
            else if (_flowing.Task.IsCompleted)
            {
                _flowing = NewFlowing(completed: false);
            }
        }
    }

    private static TaskCompletionSource NewFlowing(bool completed)
    {
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            flowing.SetResult();
        }
        return flowing;
    }

    private Task WhenFlowing()
    {
        lock (_gate)
        {
            return _flowing.Task;
        }
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                continue;
            }
            await RelayAsync(client, stopping);
        }
    }

    /// <summary>Connects the accepted client to the target and starts its two pumps, or resets it.</summary>
    private async Task RelayAsync(Socket client, CancellationToken stopping)
    {
        Socket? server = null;
        if (State != LinkState.Cut)
        {
            server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                deadline.CancelAfter(ConnectTimeout);
                await server.ConnectAsync(_target(), deadline.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                server.Dispose();
                server = null;
            }
        }
        client.NoDelay = true;
        var relay = new Relay(client, server);
        lock (_gate)
        {
            if (server is not null && _state != LinkState.Cut && _relays.Count < MaxConnections && !stopping.IsCancellationRequested)
            {
                _relays.Add(relay);
                _tasks.RemoveAll(static t => t.IsCompleted);
                _tasks.Add(PumpAsync(relay, client, server, stopping));
                _tasks.Add(PumpAsync(relay, server, client, stopping));
                Interlocked.Increment(ref _accepted);
                return;
            }
        }
        relay.Reset();
        Interlocked.Increment(ref _refused);
    }

    /// <summary>
    /// Copies one direction until its sender closes (the close is passed on) or the relay is
    /// reset; waits while the link does not forward. The relay is dropped once both directions ended.
    /// </summary>
    private async Task PumpAsync(Relay relay, Socket from, Socket to, CancellationToken stopping)
    {
        await Task.Yield();
        byte[] buffer = new byte[BufferSize];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None, stopping)) > 0)
            {
                await WhenFlowing().WaitAsync(stopping);
                for (int sent = 0; sent < n;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, stopping);
                }
                Interlocked.Add(ref _bytes, n);
            }
            await WhenFlowing().WaitAsync(stopping);
            to.Shutdown(SocketShutdown.Send);
            if (!relay.DirectionEnded())
            {
                return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Reset by the test, by a node, or the proxy is stopping: the other direction ends too.
            relay.Reset();
        }
        lock (_gate)
        {
            _relays.Remove(relay);
        }
    }

    public string Describe() =>
        $"{Name} {State}: {Accepted} relayed, {Resets} reset, {Refused} refused, {BytesForwarded} B";

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Dispose();
        Task[] tasks;
        lock (_gate)
        {
            _flowing.TrySetResult();
            foreach (Relay r in _relays)
            {
                r.Reset();
            }
            _relays.Clear();
            tasks = [.. _tasks, _acceptLoop];
        }
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        _stopping.Dispose();
    }

    /// <summary>One relayed connection: the dialler's socket and the target's.</summary>
    private sealed class Relay(Socket client, Socket? server)
    {
        private int _closed;
        private int _directions = 2;

        /// <summary>One direction passed its sender's close on; true (and both sockets closed) once both have.</summary>
        public bool DirectionEnded()
        {
            if (Interlocked.Decrement(ref _directions) != 0)
            {
                return false;
            }
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                client.Dispose();
                server?.Dispose();
            }
            return true;
        }

        /// <summary>Closes both sockets with a reset (linger 0), once.</summary>
        public void Reset()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }
            Abort(client);
            if (server is not null)
            {
                Abort(server);
            }
        }

        private static void Abort(Socket socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already closed: disposing is all that is left.
            }
            socket.Dispose();
        }
    }
}
