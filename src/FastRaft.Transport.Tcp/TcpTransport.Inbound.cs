using System.Net.Sockets;
using System.Security.Authentication;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
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
                Counters.Count(TcpRefusalReason.TooManyConnections);
                LogFlood(socket);
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            if (_waitSource is not null)
            {
                // Polled mode: the node thread runs the connection from its first byte.
                _acceptedSockets.Enqueue(socket);
                if (_stopping.IsCancellationRequested)
                {
                    // Disposed while this socket was being accepted: the dispose's close may have
                    // emptied the queue before it came, so close what is left here.
                    DisposeAcceptedSockets();
                    return;
                }
                _waitSource.Wake();
                continue;
            }
            _ = ReceiveAsync(socket);
        }
    }

    /// <summary>One inbound connection: handshake within the deadline, then frames until it closes or misbehaves.</summary>
    private async Task ReceiveAsync(Socket socket)
    {
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
            inbound = new InboundConnection(connection, _stopping.Token, _options.Time);
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
        using var deadline = new ClockedCancellation(_options.Time, _stopping.Token);
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
        using var transfer = new SnapshotAssembler(_snapshotBudget, _options.MaxSnapshotBytes, peer);
        bool forgedLogged = false;
        try
        {
            while (await channel.Reader.ReadAsync(inbound.Token).ConfigureAwait(false))
            {
                Refusal refusal = TakeFrames(channel, inbound.Connection, transfer, entries, sink, ref forgedLogged, out _, out _, out _, inbound);
                if (refusal.IsRefused)
                {
                    return refusal;
                }
                inbound.TransferInProgress = transfer.InProgress;
            }
            return EndOfStream(channel);
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

    /// <summary>Why a stream that ended, ended: inside a frame, or cleanly at a frame boundary.</summary>
    private static Refusal EndOfStream(AuthenticatedFrameChannel channel) => EndOfStream(channel.Reader.BufferedBytes);

    private static Refusal EndOfStream(long leftover) => leftover > 0
        ? new(TcpRefusalReason.TruncatedFrame, $"the stream ended {leftover} bytes into a frame")
        : new(TcpRefusalReason.PeerClosed, "the peer ended its sending side");

    /// <summary>
    /// Reads the frames buffered on a connection (after a read) and hands their messages to the
    /// node as one batch; snapshot transfer frames go to <paramref name="transfer"/>, and a completed
    /// transfer is answered once the node took it. Returns why the connection must close (a bad
    /// frame, a refused transfer, a peer that left the configuration), or none. Receive task or
    /// node thread; <paramref name="inbound"/> (receive tasks) is told what the read left for its
    /// frame deadline before the buffer is given back.
    /// </summary>
    private Refusal TakeFrames(AuthenticatedFrameChannel channel, SecuredConnection connection, SnapshotAssembler transfer, EntryBuffer entries,
        ITransportSink sink, ref bool forgedLogged, out int delivered, out bool framesRead, out long leftover, InboundConnection? inbound = null)
    {
        delivered = 0;
        framesRead = false;
        leftover = 0;
        ulong peer = connection.PeerId;
        if (!_accepted.Contains(peer))
        {
            channel.Reader.AdvanceToNext();
            return new(TcpRefusalReason.NoLongerMember, $"node {peer} is no longer a member");
        }
        InboundBatch batch = _pool.Rent();
        ChannelReadStatus status;
        string? error;
        bool completed = false;
        string? transferRefusal = null;
        entries.Clear();
        while (true)
        {
            status = channel.TryReadMessage(entries, out Message m, out error);
            if (status == ChannelReadStatus.Message)
            {
                framesRead = true;
                if (m.From != peer)
                {
                    if (!forgedLogged)
                    {
                        forgedLogged = true;
                        LogForged(connection, peer, m.From);
                    }
                    Counters.Count(TcpRefusalReason.ForgedSender);
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
                framesRead = true;
                AssemblyOutcome outcome = transfer.Accept(channel.TransferPayload);
                if (outcome == AssemblyOutcome.Completed)
                {
                    Message snapshot = transfer.TakeMessage();
                    batch.AddCopy(in snapshot);
                    completed = true;
                }
                if (outcome != AssemblyOutcome.Refused)
                {
                    continue;
                }
                transferRefusal = transfer.Refusal;
            }
            break;
        }
        // What is left is (the start of) a frame still incomplete; AdvanceToNext gives the buffer back.
        leftover = channel.Reader.BufferedBytes;
        inbound?.OnRead(framesRead, leftover > 0);
        channel.Reader.AdvanceToNext();
        int count = batch.Count;
        bool accepted = Deliver(sink, batch);
        if (accepted)
        {
            delivered = count;
        }
        if (completed || transferRefusal is not null)
        {
            // The snapshot's sender waits for this answer before it reports the transfer.
            AnswerTransfer(channel, completed && accepted && transferRefusal is null);
        }
        if (transferRefusal is not null)
        {
            return new(TcpRefusalReason.SnapshotRefused, transferRefusal);
        }
        return status is ChannelReadStatus.NeedMore or ChannelReadStatus.TransferFrame ? Refusal.None : new(ReasonOf(status), error);
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

    private static TcpRefusalReason ReasonOf(ChannelReadStatus status) => status switch
    {
        ChannelReadStatus.TooLarge => TcpRefusalReason.Oversize,
        ChannelReadStatus.BadMac => TcpRefusalReason.BadMac,
        ChannelReadStatus.BadChecksum => TcpRefusalReason.BadChecksum,
        ChannelReadStatus.BadMessage => TcpRefusalReason.BadMessage,
        _ => TcpRefusalReason.BadFrame,
    };

    private Refusal DeadlineRefusal(TcpRefusalReason reason) => reason switch
    {
        TcpRefusalReason.SlowSender => new(reason, $"a frame did not complete within {_options.FrameTimeout.TotalMilliseconds} ms"),
        TcpRefusalReason.SnapshotRefused => new(reason, $"a snapshot transfer made no progress for {_options.SnapshotIdleTimeout.TotalMilliseconds} ms"),
        _ => new(reason, $"nothing arrived for {_options.IdleTimeout.TotalMilliseconds} ms"),
    };
}
