using System.Net.Sockets;
using System.Security.Authentication;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            if (Interlocked.Increment(ref _inbound) > _options.MaxInboundConnections)
            {
                Interlocked.Decrement(ref _inbound);
                Counters.Count(TcpRefusalReason.TooManyConnections);
                LogFlood(socket);
                socket.Dispose();
                continue;
            }
            _ = ReceiveAsync(socket);
        }
    }

    /// <summary>One inbound connection: handshake within the deadline, then frames until it closes or misbehaves.</summary>
    private async Task ReceiveAsync(Socket socket)
    {
        socket.NoDelay = true;
        var connection = new SecuredConnection(socket);
        InboundConnection? inbound = null;
        try
        {
            Refusal refusal = await AcceptHandshakeAsync(connection).ConfigureAwait(false);
            if (refusal.IsRefused)
            {
                Refuse(connection, refusal);
                return;
            }
            inbound = new InboundConnection(connection, _stopping.Token);
            Track(inbound);
            refusal = await ReadFramesAsync(connection.Channel!, connection.PeerId, inbound).ConfigureAwait(false);
            Refuse(connection, refusal);
        }
        catch (OperationCanceledException) when (inbound is { ClosedFor: not TcpRefusalReason.None } && !_stopping.IsCancellationRequested)
        {
            Refuse(connection, DeadlineRefusal(inbound.ClosedFor));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or AuthenticationException)
        {
            // The connection broke or the transport stopped.
        }
        finally
        {
            if (inbound is not null)
            {
                Untrack(inbound);
                inbound.Dispose();
            }
            Interlocked.Decrement(ref _inbound);
            connection.Channel?.Dispose();
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<Refusal> AcceptHandshakeAsync(SecuredConnection connection)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(_options.HandshakeTimeout);
        try
        {
            return await _security.AcceptAsync(connection, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return new(TcpRefusalReason.HandshakeTimeout, $"the handshake did not complete within {_options.HandshakeTimeout.TotalMilliseconds} ms");
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return new(TcpRefusalReason.NotAHandshake, $"the connection broke during the handshake: {e.Message}");
        }
        catch (AuthenticationException e)
        {
            return new(TcpRefusalReason.TlsHandshakeFailed, e.Message);
        }
    }

    /// <summary>Delivers the connection's messages until it ends; returns why it ended.</summary>
    private async Task<Refusal> ReadFramesAsync(AuthenticatedFrameChannel channel, ulong peer, InboundConnection inbound)
    {
        ITransportSink sink = _sink!;
        var entries = new EntryBuffer(64);
        bool forgedLogged = false;
        while (await channel.Reader.ReadAsync(inbound.Token).ConfigureAwait(false))
        {
            InboundBatch batch = _pool.Rent();
            ChannelReadStatus status;
            string? error;
            bool framesRead = false;
            entries.Clear();
            while ((status = channel.TryReadMessage(entries, out Message m, out error)) == ChannelReadStatus.Message)
            {
                framesRead = true;
                if (m.From != peer)
                {
                    Counters.Count(TcpRefusalReason.ForgedSender);
                    if (!forgedLogged)
                    {
                        forgedLogged = true;
                        LogForged(inbound.Connection, peer, m.From);
                    }
                }
                else
                {
                    batch.AddCopy(in m);
                }
                entries.Clear();
            }
            inbound.OnRead(framesRead, channel.Reader.BufferedBytes > 0);
            channel.Reader.AdvanceToNext();
            int count = batch.Count;
            if (count > 0)
            {
                if (sink.Deliver(batch))
                {
                    Interlocked.Add(ref Counters.MessagesReceivedField, count);
                }
            }
            else
            {
                batch.Release();
            }
            if (status != ChannelReadStatus.NeedMore)
            {
                return new(ReasonOf(status), error);
            }
        }
        return channel.Reader.BufferedBytes > 0
            ? new(TcpRefusalReason.TruncatedFrame, $"the stream ended {channel.Reader.BufferedBytes} bytes into a frame")
            : new(TcpRefusalReason.PeerClosed, "the peer ended its sending side");
    }

    private static TcpRefusalReason ReasonOf(ChannelReadStatus status) => status switch
    {
        ChannelReadStatus.TooLarge => TcpRefusalReason.Oversize,
        ChannelReadStatus.BadMac => TcpRefusalReason.BadMac,
        ChannelReadStatus.BadChecksum => TcpRefusalReason.BadChecksum,
        ChannelReadStatus.BadMessage => TcpRefusalReason.BadMessage,
        _ => TcpRefusalReason.BadFrame,
    };

    private Refusal DeadlineRefusal(TcpRefusalReason reason) => reason == TcpRefusalReason.SlowSender
        ? new(reason, $"a frame did not complete within {_options.FrameTimeout.TotalMilliseconds} ms")
        : new(reason, $"nothing arrived for {_options.IdleTimeout.TotalMilliseconds} ms");
}
