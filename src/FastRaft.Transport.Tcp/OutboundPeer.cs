using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
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

        private async Task DialAsync()
        {
            CancellationToken stopping = owner._stopping.Token;
            try
            {
                int failures = Volatile.Read(ref _failures);
                if (failures > 0)
                {
                    await Task.Delay(owner.Backoff(failures - 1), stopping).ConfigureAwait(false);
                }
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                SecuredConnection? connection = null;
                bool connected = false;
                Refusal refusal;
                try
                {
                    using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    deadline.CancelAfter(owner._options.HandshakeTimeout);
                    await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
                    connected = true;
                    connection = new SecuredConnection(socket);
                    refusal = await owner._security.DialAsync(connection, id, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    refusal = new(TcpRefusalReason.HandshakeTimeout, connected
                        ? $"the handshake did not complete within {owner._options.HandshakeTimeout.TotalMilliseconds} ms"
                        : $"no connection within {owner._options.HandshakeTimeout.TotalMilliseconds} ms");
                }
                catch (OperationCanceledException)
                {
                    socket.Dispose();
                    throw;
                }
                catch (SocketException e) when (!connected)
                {
                    refusal = new(TcpRefusalReason.None, $"cannot connect: {e.SocketErrorCode}");
                }
                catch (AuthenticationException e)
                {
                    refusal = new(TcpRefusalReason.TlsHandshakeFailed, e.Message);
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    refusal = new(TcpRefusalReason.NotAHandshake, $"the connection closed during the handshake (the peer may have refused this node): {e.Message}");
                }
                if (connected && !refusal.IsRefused)
                {
                    Publish(connection!, socket);
                    return;
                }
                socket.Dispose();
                Interlocked.Increment(ref owner.Counters.DialFailuresField);
                if (IsOwnRefusal(refusal.Reason))
                {
                    owner.Counters.Count(refusal.Reason);
                }
                owner.LogDialFailure(id, endPoint, refusal, repeated: refusal.Reason == _lastFailure);
                _lastFailure = refusal.Reason;
                Interlocked.Increment(ref _failures);
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
            if (owner._stopping.IsCancellationRequested)
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
            owner._options.Logger?.Info($"tcp transport {owner.LocalId}: node {id} at {endPoint} closed the connection; redialling");
            // Counted as a failure so that a peer which accepts and closes at once is redialled with backoff.
            Volatile.Write(ref _failures, 1);
            Drop(channel);
            EnsureDialing();
        }
    }
}
