using System.Buffers;
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
    private readonly SnapshotBudget _snapshotBudget;

    /// <summary>
    /// Starts sending a snapshot (node thread): the message is copied into pieces at once and a
    /// background task streams them over a connection of their own, pacing itself on the pipe's
    /// backpressure, then reports the outcome. One transfer per peer at a time; another while
    /// one runs fails at once (the leader retries after the report).
    /// </summary>
    private void SendSnapshot(OutboundPeer peer, in Message message, ITransportSink sink)
    {
        if (!peer.TryBeginSnapshot())
        {
            Interlocked.Increment(ref Counters.SnapshotsFailedField);
            sink.ReportSnapshot(peer.Id, SnapshotStatus.Failure);
            return;
        }
        OutgoingSnapshot snapshot = OutgoingSnapshot.Copy(in message);
        Interlocked.Increment(ref Counters.MessagesSentField);
        _ = RunSnapshotTransferAsync(peer, snapshot, sink);
    }

    private async Task RunSnapshotTransferAsync(OutboundPeer peer, OutgoingSnapshot snapshot, ITransportSink sink)
    {
        // Off the node thread before dialling.
        await Task.Yield();
        bool delivered = false;
        SecuredConnection? connection = null;
        using var idle = new ClockedCancellation(_options.Time, _stopping.Token);
        try
        {
            DialResult dialled = await DialSecuredAsync(peer.Id, peer.EndPoint, _stopping.Token).ConfigureAwait(false);
            connection = dialled.Connection;
            if (connection is not null)
            {
                idle.CancelAfter(_options.SnapshotIdleTimeout);
                // A stall anywhere (a flush the peer never drains, an answer that never comes) ends here.
                using CancellationTokenRegistration closeOnStall = idle.Token.Register(static s => ((Socket)s!).Dispose(), connection.Socket);
                delivered = await WriteTransferAsync(connection.Channel!, snapshot, idle).ConfigureAwait(false)
                    && await ReadAnswerAsync(connection.Channel!, idle.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or AuthenticationException)
        {
            // Dial, handshake or stream failed: reported below.
        }
        finally
        {
            if (connection is not null)
            {
                connection.Channel?.Dispose();
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            snapshot.Dispose();
            peer.EndSnapshot();
        }
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        if (delivered)
        {
            Interlocked.Increment(ref Counters.SnapshotsSentField);
            sink.ReportSnapshot(peer.Id, SnapshotStatus.Finish);
        }
        else
        {
            Interlocked.Increment(ref Counters.SnapshotsFailedField);
            sink.ReportUnreachable(peer.Id);
            sink.ReportSnapshot(peer.Id, SnapshotStatus.Failure);
        }
    }

    private async Task<bool> WriteTransferAsync(AuthenticatedFrameChannel channel, OutgoingSnapshot snapshot, ClockedCancellation idle)
    {
        // Part -1 is the header, PieceCount the end frame, the rest the pieces.
        for (int part = -1; part <= snapshot.PieceCount; part++)
        {
            while (!TryWritePart(channel, snapshot, part))
            {
                if (channel.Writer.IsClosed || !channel.Writer.IsPaused)
                {
                    return false;
                }
                await channel.Writer.WaitUntilResumedAsync().ConfigureAwait(false);
                idle.CancelAfter(_options.SnapshotIdleTimeout);
            }
            channel.Flush();
        }
        return !channel.Writer.IsClosed;
    }

    private static bool TryWritePart(AuthenticatedFrameChannel channel, OutgoingSnapshot snapshot, int part)
    {
        ReadOnlySpan<byte> end = [SnapshotTransferFormat.EndKind];
        return part < 0 ? channel.TryWriteFrame(snapshot.Header)
            : part == snapshot.PieceCount ? channel.TryWriteFrame(end)
            : channel.TryWriteFrame(snapshot.Piece(part));
    }

    /// <summary>Waits for the receiver's answer: true only for Delivered.</summary>
    private static async Task<bool> ReadAnswerAsync(AuthenticatedFrameChannel channel, CancellationToken cancellationToken)
    {
        var entries = new EntryBuffer(1);
        while (await channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ChannelReadStatus status = channel.TryReadMessage(entries, out _, out _);
            bool delivered = status == ChannelReadStatus.TransferFrame && IsDeliveredAnswer(channel.TransferPayload);
            channel.Reader.AdvanceToNext();
            if (status != ChannelReadStatus.NeedMore)
            {
                return delivered;
            }
        }
        return false;
    }

    private static bool IsDeliveredAnswer(in ReadOnlySequence<byte> payload)
    {
        if (payload.Length != SnapshotTransferFormat.AnswerSize)
        {
            return false;
        }
        Span<byte> answer = stackalloc byte[SnapshotTransferFormat.AnswerSize];
        payload.CopyTo(answer);
        return answer[0] == SnapshotTransferFormat.AnswerKind && answer[1] == (byte)TransferAnswer.Delivered;
    }
}
