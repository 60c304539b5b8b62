using FastRaft.Core.Log;
using FastRaft.Core.Storage;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

// Outgoing messages: stamping, queueing, appends, snapshots and heartbeats.
internal sealed partial class Raft
{
    /// <summary>
    /// Queues a message. Vote and append responses wait in <see cref="MsgsAfterAppend"/> until
    /// the state they vouch for is durable; everything else goes out with the next Ready.
    /// </summary>
    private void Send(Message m)
    {
        if (m.From == LocalIds.None)
        {
            m.From = Id;
        }
        if (m.Type is MessageType.Vote or MessageType.VoteResponse or MessageType.PreVote or MessageType.PreVoteResponse)
        {
            if (m.Term == 0)
            {
                _log.Panic($"term should be set when sending {EtcdTypeText.Of(m.Type)}");
            }
        }
        else
        {
            if (m.Term != 0)
            {
                _log.Panic($"term should not be set when sending {EtcdTypeText.Of(m.Type)} (was {m.Term})");
            }
            // Proposals and read requests travel to the leader like local messages: no term.
            if (m.Type is not MessageType.Propose and not MessageType.ReadIndex)
            {
                m.Term = Term;
            }
        }
        if (m.Type is MessageType.AppendResponse or MessageType.VoteResponse or MessageType.PreVoteResponse)
        {
            MsgsAfterAppend.Add(m);
        }
        else
        {
            if (m.To == Id)
            {
                _log.Panic($"message should not be self-addressed when sending {EtcdTypeText.Of(m.Type)}");
            }
            Msgs.Add(m);
        }
    }

    /// <summary>
    /// Queues a message of a type sent with the current term (not a vote, not a proposal) and
    /// returns it to be filled in place: Type, To, From and Term are set, the rest is empty.
    /// Fill it before queueing anything else (the list may move on the next add).
    /// </summary>
    private ref Message Queue(MessageType type, ulong to)
    {
        System.Diagnostics.Debug.Assert(type is not (MessageType.Vote or MessageType.VoteResponse or MessageType.PreVote
            or MessageType.PreVoteResponse or MessageType.Propose or MessageType.ReadIndex));
        MessageList list = MsgsAfterAppend;
        if (type != MessageType.AppendResponse)
        {
            if (to == Id)
            {
                _log.Panic($"message should not be self-addressed when sending {EtcdTypeText.Of(type)}");
            }
            list = Msgs;
        }
        ref Message m = ref list.AddSlot();
        m.Type = type;
        m.To = to;
        m.From = Id;
        m.Term = Term;
        return ref m;
    }

    private void SendAppend(ulong to) => TrySendAppend(to, Trk.Progress[to], sendIfEmpty: true);

    private bool TrySendAppend(ulong to, bool sendIfEmpty) => TrySendAppend(to, Trk.Progress[to], sendIfEmpty);

    /// <summary>
    /// Sends an append (new entries, if any, and the commit index) to peer <paramref name="to"/>
    /// (whose progress is <paramref name="pr"/>) unless its progress is paused. Returns whether a
    /// message was sent; with <paramref name="sendIfEmpty"/> false an append carrying no entries
    /// is not sent.
    /// </summary>
    private bool TrySendAppend(ulong to, Progress pr, bool sendIfEmpty)
    {
        if (pr.IsPaused())
        {
            return false;
        }
        if (!sendIfEmpty && pr.Next == Log.LastIndex() + 1)
        {
            // Nothing new to send (the usual case after an acknowledgement). The term of Next-1,
            // the last entry, is always known, so the full path below would not snapshot either.
            return false;
        }

        ulong prevIndex = pr.Next - 1;
        if (Log.Term(prevIndex, out ulong prevTerm) != StorageStatus.Ok)
        {
            // The log was compacted past what the follower needs: it needs a snapshot.
            return TrySendSnapshot(to, pr);
        }

        ReadOnlyMemory<Entry> ents = ReadOnlyMemory<Entry>.Empty;
        // A throttled StateReplicate still sends empty appends so a lost window cannot stall it.
        if ((pr.State != ProgressState.Replicate || !pr.Inflights.Full)
            && !Log.TryLendUnstableEntries(pr.Next, _maxMsgSize, out ents))
        {
            EntryBuffer arena = Arena.Entries;
            int start = arena.Count;
            StorageStatus st = Log.Entries(pr.Next, _maxMsgSize, arena);
            if (st != StorageStatus.Ok)
            {
                arena.Truncate(start);
                return sendIfEmpty && TrySendSnapshot(to, pr);
            }
            ents = arena.AsMemory(start, arena.Count - start);
        }
        if (ents.IsEmpty && !sendIfEmpty)
        {
            return false;
        }

        ref Message app = ref Queue(MessageType.Append, to);
        app.Index = prevIndex;
        app.LogTerm = prevTerm;
        app.Entries = ents;
        app.Commit = Log.Committed;
        pr.SentEntries(ents.Length, EntrySizes.PayloadsSize(ents.Span));
        pr.SentCommitTo(Log.Committed);
        return true;
    }

    /// <summary>Sends the current snapshot to a recently active peer. Returns whether it was sent.</summary>
    private bool TrySendSnapshot(ulong to, Progress pr)
    {
        if (!pr.RecentActive)
        {
            _log.Debug($"ignore sending snapshot to {to:x} since it is not recently active");
            return false;
        }

        StorageStatus st = Log.Snapshot(out Snapshot snapshot);
        if (st == StorageStatus.SnapshotTemporarilyUnavailable)
        {
            _log.Debug($"{Id:x} failed to send snapshot to {to:x} because snapshot is temporarily unavailable");
            return false;
        }
        if (st != StorageStatus.Ok)
        {
            _log.Panic($"unexpected error reading the snapshot: {st.Describe()}");
        }
        if (snapshot.IsEmpty)
        {
            _log.Panic("need non-empty snapshot");
        }
        ulong sindex = snapshot.Metadata.Index, sterm = snapshot.Metadata.Term;
        _log.Debug($"{Id:x} [firstindex: {Log.FirstIndex()}, commit: {Log.Committed}] sent snapshot[index: {sindex}, term: {sterm}] to {to:x} [{pr}]");
        pr.BecomeSnapshot(sindex);
        _log.Debug($"{Id:x} paused sending replication messages to {to:x} [{pr}]");

        Send(new Message { To = to, Type = MessageType.Snapshot, Snapshot = snapshot });
        return true;
    }

    /// <summary>Sends a heartbeat carrying min(match, commit): a follower must not commit what it may not have.</summary>
    private void SendHeartbeat(ulong to, ReadOnlyMemory<byte> ctx)
    {
        Progress pr = Trk.Progress[to];
        ulong commit = Math.Min(pr.Match, Log.Committed);
        ref Message hb = ref Queue(MessageType.Heartbeat, to);
        hb.Commit = commit;
        hb.Context = ctx;
        pr.SentCommitTo(commit);
    }

    /// <summary>Sends appends to every peer that is not up to date.</summary>
    private void BcastAppend()
    {
        foreach (KeyValuePair<ulong, Progress> kv in Trk.Progress)
        {
            if (kv.Key != Id)
            {
                TrySendAppend(kv.Key, kv.Value, sendIfEmpty: true);
            }
        }
    }

    /// <summary>Heartbeats every peer, carrying the read-queue position when reads are pending.</summary>
    private void BcastHeartbeat()
    {
        ReadOnlyMemory<byte> ctx = ReadOnlyMemory<byte>.Empty;
        ulong position = _readOnly.HeartbeatPosition;
        if (position != 0)
        {
            Memory<byte> buf = Arena.Reserve(sizeof(ulong));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(buf.Span, position);
            ctx = buf;
        }
        foreach (KeyValuePair<ulong, Progress> kv in Trk.Progress)
        {
            if (kv.Key != Id)
            {
                SendHeartbeat(kv.Key, ctx);
            }
        }
    }

    private void SendTimeoutNow(ulong to) => Send(new Message { To = to, Type = MessageType.TimeoutNow });
}
