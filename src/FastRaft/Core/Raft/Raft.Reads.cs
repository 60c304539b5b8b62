using FastRaft.Protocol;

namespace FastRaft.Core;

// Linearizable reads (ReadIndex): queued, confirmed by a quorum (or the lease), answered.
internal sealed partial class Raft
{
    private void StepLeaderReadIndex(in Message m)
    {
        // A single voter is trivially the quorum.
        if (Trk.IsSingleton())
        {
            RespondToReadIndex(m, Log.Committed);
            return;
        }
        // Until this leader commits an entry of its own term its commit index may be stale.
        if (!CommittedEntryInCurrentTerm())
        {
            _pendingReadIndexMessages.Add(OwnedReadRequest(m));
            return;
        }
        SendReadIndexResponse(m);
    }

    private void SendReadIndexResponse(in Message m)
    {
        if (ReadsUseHeartbeats)
        {
            // Queue the read, ack it ourselves, and let a heartbeat round confirm leadership.
            _readOnly.AddRequest(Log.Committed, OwnedReadRequest(m));
            _readOnly.RecvAck(Id, _readOnly.HeartbeatPosition);
            BcastHeartbeat();
            return;
        }
        RespondToReadIndex(m, Log.Committed);
    }

    /// <summary>A read request kept beyond this step owns its context bytes.</summary>
    private static Message OwnedReadRequest(in Message m)
    {
        if (m.Entries.IsEmpty)
        {
            return m;
        }
        Message owned = m;
        Entry e = m.Entries.Span[0];
        owned.Entries = new[] { e with { Data = OwnedCopy(e.Data.Span) } };
        return owned;
    }

    /// <summary>Answers a read locally (a ReadState) or with a MsgReadIndexResp to the follower that asked.</summary>
    private void RespondToReadIndex(in Message req, ulong readIndex)
    {
        if (req.From == LocalIds.None || req.From == Id)
        {
            ReadOnlyMemory<byte> ctx = req.Entries.IsEmpty ? ReadOnlyMemory<byte>.Empty : OwnedCopy(req.Entries.Span[0].Data.Span);
            ReadStates.Add(new ReadState(readIndex, ctx));
            return;
        }
        Send(new Message
        {
            Type = MessageType.ReadIndexResponse,
            To = req.From,
            Index = readIndex,
            Entries = Arena.AddEntriesWithPayloads(req.Entries.Span),
        });
    }

    /// <summary>Whether this leader has committed an entry of its own term (its commit index is then current).</summary>
    private bool CommittedEntryInCurrentTerm() => Log.ZeroTermOnOutOfBounds(Log.Committed) == Term;

    private void ReleasePendingReadIndexMessages()
    {
        if (_pendingReadIndexMessages.Count == 0)
        {
            return;
        }
        if (!CommittedEntryInCurrentTerm())
        {
            _log.Error("pending MsgReadIndex should be released only after first commit in current term");
            return;
        }
        for (int i = 0; i < _pendingReadIndexMessages.Count; i++)
        {
            SendReadIndexResponse(_pendingReadIndexMessages[i]);
        }
        _pendingReadIndexMessages.Clear();
    }
}
