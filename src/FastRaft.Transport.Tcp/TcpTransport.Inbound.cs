using System.IO.Pipelines;
using System.Net.Sockets;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp.Polling;
using FastRaft.Transport.Tcp.Security;
using FastRaft.Transport.Tcp.Snapshots;

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
        bool handedOver = false;
        try
        {
            var handshake = new ListenerHandshake(_options.ClusterKey, _options.LocalId, Volatile.Read(ref _accepted));
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
            if (_waitSource is not null)
            {
                // Polled mode: from here on the node thread reads this connection.
                var transfer = new SnapshotAssembler(_snapshotBudget, _options.MaxSnapshotBytes, peer);
                _handovers.Enqueue(new PolledConnection(socket, input, output, peer, result.keys!, _options.MaxMessageBytes, transfer));
                handedOver = true;
                _waitSource.Wake();
                return;
            }
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
            if (!handedOver)
            {
                await CloseInboundAsync(socket, input, output).ConfigureAwait(false);
            }
        }
    }

    private async Task CloseInboundAsync(Socket socket, PipeReader input, PipeWriter output)
    {
        Interlocked.Decrement(ref _inbound);
        await input.CompleteAsync().ConfigureAwait(false);
        await output.CompleteAsync().ConfigureAwait(false);
        socket.Dispose();
    }

    private async Task ReadFramesAsync(AuthenticatedFrameChannel channel, ulong peer)
    {
        ITransportSink sink = _sink!;
        var entries = new EntryBuffer(64);
        using var transfer = new SnapshotAssembler(_snapshotBudget, _options.MaxSnapshotBytes, peer);
        // Armed only while a snapshot transfer is in progress: a transfer that stops making
        // progress must not hold its budget for ever. Ordinary connections wait without a timer.
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        bool armed = false;
        try
        {
            while (await channel.Reader.ReadAsync(stalled.Token).ConfigureAwait(false))
            {
                if (!TakeFrames(channel, peer, transfer, entries, sink, out _))
                {
                    return;
                }
                if (transfer.InProgress)
                {
                    stalled.CancelAfter(_options.SnapshotIdleTimeout);
                    armed = true;
                }
                else if (armed)
                {
                    stalled.CancelAfter(Timeout.InfiniteTimeSpan);
                    armed = false;
                }
            }
        }
        finally
        {
            if (transfer.InProgress)
            {
                // The connection ended (or stalled) inside a transfer.
                Interlocked.Increment(ref Counters.SnapshotsRefusedField);
            }
        }
    }

    /// <summary>
    /// Reads the frames buffered on a connection (after a read) and hands their messages to the
    /// node as one batch; snapshot transfer frames go to <paramref name="transfer"/>, and a completed
    /// transfer is answered once the node took it. False when the connection must close (a bad
    /// frame, a refused transfer, a peer that left the configuration). Receive task or node thread.
    /// </summary>
    private bool TakeFrames(AuthenticatedFrameChannel channel, ulong peer, SnapshotAssembler transfer, EntryBuffer entries, ITransportSink sink, out int delivered)
    {
        delivered = 0;
        if (!Volatile.Read(ref _accepted).Contains(peer))
        {
            // The peer left the configuration since it connected: cut it off.
            channel.Reader.AdvanceToNext();
            Interlocked.Increment(ref Counters.ConnectionsRefusedField);
            return false;
        }
        InboundBatch batch = _pool.Rent();
        ChannelReadStatus status;
        bool completed = false;
        bool refused = false;
        entries.Clear();
        while (true)
        {
            status = channel.TryReadMessage(entries, out Message m, out _);
            if (status == ChannelReadStatus.Message)
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
                continue;
            }
            if (status == ChannelReadStatus.TransferFrame)
            {
                AssemblyOutcome outcome = transfer.Accept(channel.TransferPayload);
                if (outcome == AssemblyOutcome.Completed)
                {
                    Message snapshot = transfer.TakeMessage();
                    batch.AddCopy(in snapshot);
                    completed = true;
                }
                refused = outcome == AssemblyOutcome.Refused;
                if (!refused)
                {
                    continue;
                }
            }
            break;
        }
        channel.Reader.AdvanceToNext();
        int count = batch.Count;
        bool accepted = Deliver(sink, batch);
        if (accepted)
        {
            delivered = count;
        }
        if (completed || refused)
        {
            // The snapshot's sender waits for this answer before it reports the transfer.
            AnswerTransfer(channel, completed && accepted && !refused);
        }
        if (refused)
        {
            return false;
        }
        if (status != ChannelReadStatus.NeedMore)
        {
            Interlocked.Increment(ref Counters.BadFramesField);
            return false;
        }
        return true;
    }

    /// <summary>Hands a batch to the node (or back to the pool when empty); true when the node took it.</summary>
    private bool Deliver(ITransportSink sink, InboundBatch batch)
    {
        int count = batch.Count;
        if (count == 0)
        {
            batch.Release();
            return false;
        }
        if (!sink.Deliver(batch))
        {
            return false;
        }
        Interlocked.Add(ref Counters.MessagesReceivedField, count);
        return true;
    }

    /// <summary>Tells a snapshot's sender whether it arrived whole and was handed to the node.</summary>
    private void AnswerTransfer(AuthenticatedFrameChannel channel, bool delivered)
    {
        Interlocked.Increment(ref delivered ? ref Counters.SnapshotsReceivedField : ref Counters.SnapshotsRefusedField);
        ReadOnlySpan<byte> answer = [SnapshotTransferFormat.AnswerKind, (byte)(delivered ? TransferAnswer.Delivered : TransferAnswer.Refused)];
        if (channel.TryWriteFrame(answer))
        {
            channel.Flush();
        }
    }
}
