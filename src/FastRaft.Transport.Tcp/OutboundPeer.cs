using System.Net;
using System.Net.Sockets;
using FastRaft.Protocol;

namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    /// <summary>
    /// The connection this node sends to one peer on. The node thread writes and flushes; a
    /// background task dials (with backoff) and publishes the channel once its handshake is done.
    /// </summary>
    private sealed class OutboundPeer(TcpTransport owner, ulong id, IPEndPoint endPoint)
    {
        private AuthenticatedFrameChannel? _channel;
        private Socket? _socket;
        private int _dialing;
        private int _failures;
        private int _snapshotInFlight;

        public ulong Id => id;

        public IPEndPoint EndPoint => endPoint;

        /// <summary>Claims the peer's one snapshot transfer slot; false while a transfer is still running.</summary>
        public bool TryBeginSnapshot() => Interlocked.Exchange(ref _snapshotInFlight, 1) == 0;

        public void EndSnapshot() => Volatile.Write(ref _snapshotInFlight, 0);

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

        /// <summary>Starts dialling unless connected or already dialling.</summary>
        public void Connect()
        {
            if (Volatile.Read(ref _channel) is null)
            {
                EnsureDialing();
            }
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
                if (_failures > 0)
                {
                    await Task.Delay(owner.Backoff(_failures - 1), stopping).ConfigureAwait(false);
                }
                try
                {
                    (Socket socket, AuthenticatedFrameChannel channel) = await owner.ConnectAsync(id, endPoint, stopping).ConfigureAwait(false);
                    Volatile.Write(ref _socket, socket);
                    Volatile.Write(ref _channel, channel);
                    _failures = 0;
                    Interlocked.Increment(ref owner.Counters.ConnectsField);
                    if (stopping.IsCancellationRequested)
                    {
                        Close();
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
                {
                    _failures++;
                    Interlocked.Increment(ref owner.Counters.DialFailuresField);
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
    }
}
