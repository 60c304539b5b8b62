using System.IO.Pipelines;
using System.Net.Sockets;
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
                Interlocked.Increment(ref Counters.ConnectionsRefusedField);
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
        (PipeReader input, PipeWriter output) = PipesOf(socket, _options.SendBufferBytes);
        try
        {
            var handshake = new ListenerHandshake(_options.ClusterKey, _options.LocalId, _members);
            (HandshakeFailure failure, SessionKeys? keys) result;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                deadline.CancelAfter(_options.HandshakeTimeout);
                try
                {
                    result = await HandshakeExchange.AcceptAsync(input, output, handshake, deadline.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
                {
                    result = (HandshakeFailure.NotAHandshake, null);
                }
            }
            if (result.failure != HandshakeFailure.None)
            {
                Interlocked.Increment(ref Counters.HandshakesRefusedField);
                return;
            }
            ulong peer = handshake.DialerId;
            using var channel = new AuthenticatedFrameChannel(input, output,
                new FrameAuthenticator(result.keys!.ListenerToDialer), new FrameAuthenticator(result.keys.DialerToListener), _options.MaxMessageBytes);
            await ReadFramesAsync(channel, peer).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The connection closed or the transport stopped.
        }
        finally
        {
            Interlocked.Decrement(ref _inbound);
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
            socket.Dispose();
        }
    }

    private async Task ReadFramesAsync(AuthenticatedFrameChannel channel, ulong peer)
    {
        ITransportSink sink = _sink!;
        var entries = new EntryBuffer(64);
        while (await channel.Reader.ReadAsync(_stopping.Token).ConfigureAwait(false))
        {
            InboundBatch batch = _pool.Rent();
            ChannelReadStatus status;
            entries.Clear();
            while ((status = channel.TryReadMessage(entries, out Message m, out _)) == ChannelReadStatus.Message)
            {
                if (m.From != peer)
                {
                    Interlocked.Increment(ref Counters.ForgedSendersField);
                }
                else
                {
                    batch.AddCopy(in m);
                }
                entries.Clear();
            }
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
                Interlocked.Increment(ref Counters.BadFramesField);
                return;
            }
        }
    }
}
