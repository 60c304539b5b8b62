using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using FastRaft.Core.Logging;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    /// <summary>
    /// The connection this node sends to one peer on. The node thread writes and flushes; a
    /// background task dials (with backoff) and publishes the channel once its handshake is done,
    /// and another watches for the peer closing it.
    /// </summary>
    private sealed class OutboundPeer(TcpTransport owner, ulong id, IPEndPoint endPoint)
    {
        private AuthenticatedFrameChannel? _channel;
        private Socket? _socket;
        private int _dialing;
        private int _failures;
        private TcpRefusalReason _lastFailure;
        private int _snapshotInFlight;
        private bool _closed;

        public ulong Id => id;

        public IPEndPoint EndPoint => endPoint;

        /// <summary>Claims the peer's one snapshot transfer slot; false while a transfer is still running.</summary>
        public bool TryBeginSnapshot() => Interlocked.Exchange(ref _snapshotInFlight, 1) == 0;

        public void EndSnapshot() => Volatile.Write(ref _snapshotInFlight, 0);

        /// <summary>Starts dialling unless connected or already dialling.</summary>
        public void Connect()
        {
            if (Volatile.Read(ref _channel) is null)
            {
                EnsureDialing();
            }
        }

        /// <summary>Listed for the next Flush (node thread only).</summary>
        public bool PendingFlush { get; set; }

        public bool TryWrite(in Message m)
        {
            AuthenticatedFrameChannel? channel = Volatile.Read(ref _channel);
            if (channel is null)
            {
                EnsureDialing();
                return false;
            }
            if (channel.Writer.IsClosed)
            {
                Drop(channel);
                EnsureDialing();
                return false;
            }
            return channel.TryWrite(in m);
        }

        public void Flush() => Volatile.Read(ref _channel)?.Flush();

        /// <summary>
        /// Unpublishes the channel and closes its socket. The channel itself is not disposed: the
        /// node thread may be writing to it right now, and its next flush fails and closes it.
        /// </summary>
        public void Close()
        {
            Volatile.Write(ref _closed, true);
            Interlocked.Exchange(ref _channel, null);
            Interlocked.Exchange(ref _socket, null)?.Dispose();
        }

        private void Drop(AuthenticatedFrameChannel channel)
        {
            if (Interlocked.CompareExchange(ref _channel, null, channel) == channel)
            {
                Interlocked.Exchange(ref _socket, null)?.Dispose();
            }
        }

        private void EnsureDialing()
        {
            if (Interlocked.Exchange(ref _dialing, 1) == 0)
            {
                _ = DialAsync();
            }
        }

        /// <summary>Dials until connected (with backoff), the peer is closed, or the transport stops.</summary>
        private async Task DialAsync()
        {
            CancellationToken stopping = owner._stopping.Token;
            try
            {
                while (!Volatile.Read(ref _closed))
                {
                    int failures = Volatile.Read(ref _failures);
                    if (failures > 0)
                    {
                        await Task.Delay(owner.Backoff(failures - 1), owner._options.Time, stopping).ConfigureAwait(false);
                    }
                    if (Volatile.Read(ref _closed))
                    {
                        return;
                    }
                    DialResult dialled = await owner.DialSecuredAsync(id, endPoint, stopping).ConfigureAwait(false);
                    if (dialled.Succeeded)
                    {
                        Publish(dialled.Connection!, dialled.Connection!.Socket);
                        return;
                    }
                    Refusal refusal = dialled.Refusal;
                    Interlocked.Increment(ref owner.Counters.DialFailuresField);
                    if (IsOwnRefusal(refusal.Reason))
                    {
                        owner.Counters.Count(refusal.Reason);
                    }
                    owner.LogDialFailure(id, endPoint, refusal, repeated: refusal.Reason == _lastFailure);
                    _lastFailure = refusal.Reason;
                    Interlocked.Increment(ref _failures);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Volatile.Write(ref _dialing, 0);
            }
        }

        private void Publish(SecuredConnection connection, Socket socket)
        {
            AuthenticatedFrameChannel channel = connection.Channel!;
            Volatile.Write(ref _socket, socket);
            Volatile.Write(ref _channel, channel);
            Volatile.Write(ref _failures, 0);
            _lastFailure = TcpRefusalReason.None;
            Interlocked.Increment(ref owner.Counters.ConnectsField);
            if (owner._stopping.IsCancellationRequested || Volatile.Read(ref _closed))
            {
                Close();
                return;
            }
            _ = WatchAsync(connection.Input!, channel);
        }

        /// <summary>
        /// Reads the connection this node only writes to, to learn at once when the peer closes it
        /// (or half-closes it: shuts down its sending side), and then redials rather than wait
        /// for a write to fail. The listener sends nothing after the handshake; anything is ignored.
        /// </summary>
        private async Task WatchAsync(PipeReader input, AuthenticatedFrameChannel channel)
        {
            try
            {
                while (true)
                {
                    ReadResult result = await input.ReadAsync(owner._stopping.Token).ConfigureAwait(false);
                    input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or AuthenticationException or InvalidOperationException)
            {
                // Closed by either side.
            }
            if (owner._stopping.IsCancellationRequested || Volatile.Read(ref _channel) != channel)
            {
                return;
            }
            owner._log?.Info(RaftLogEvents.TcpConnectionRefused, $"tcp transport {owner.LocalId}: node {id} at {endPoint} closed the connection; redialling");
            // Counted as a failure so that a peer which accepts and closes at once is redialled with backoff.
            Volatile.Write(ref _failures, 1);
            Drop(channel);
            EnsureDialing();
        }
    }
}
