using FastRaft.Protocol;

namespace FastRaft.Codec;

public static partial class RaftMessageCodec
{
    /// <summary>
    /// Decodes one message starting at <paramref name="offset"/> and advances the offset past it.
    /// Entries are appended to <paramref name="entries"/> (caller-owned, reused) and
    /// <c>m.Entries</c> views them; entry payloads and the context are slices of
    /// <paramref name="source"/>, so both must outlive the message. A snapshot is copied out.
    /// </summary>
    /// <returns>
    /// False for malformed input, with the reason in <paramref name="error"/>; then
    /// <paramref name="offset"/>, <paramref name="entries"/> and <paramref name="m"/> are as if
    /// nothing had been read. Never throws on input. A rejection allocates nothing, except the
    /// id lists of a snapshot that turns out malformed after them (bounded by the input length).
    /// </returns>
    public static bool TryRead(ReadOnlyMemory<byte> source, ref int offset, EntryBuffer entries, out Message m, out WireError error)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, source.Length);
        int entriesBefore = entries.Count;
        var reader = new WireReader(source.Span, offset);
        if (!ReadMessage(ref reader, source, entries, out m))
        {
            entries.Truncate(entriesBefore);
            m = default;
            error = reader.Error;
            return false;
        }
        offset = reader.Position;
        error = WireError.None;
        return true;
    }

    private static bool ReadMessage(ref WireReader r, ReadOnlyMemory<byte> source, EntryBuffer entries, out Message m)
    {
        m = default;
        if (!ReadVersionAndGroup(ref r, out m.GroupId))
        {
            return false;
        }
        if (!ReadMessageType(ref r, out m.Type)
            || !r.UInt(WireField.To, out m.To)
            || !r.UInt(WireField.From, out m.From)
            || !r.UInt(WireField.Term, out m.Term)
            || !r.UInt(WireField.LogTerm, out m.LogTerm)
            || !r.UInt(WireField.Index, out m.Index)
            || !r.UInt(WireField.Commit, out m.Commit)
            || !r.UInt(WireField.Vote, out m.Vote)
            || !r.Bool(WireField.Reject, out m.Reject)
            || !r.UInt(WireField.RejectHint, out m.RejectHint)
            || !ReadSlice(ref r, WireField.Context, source, out m.Context)
            || !ReadEntries(ref r, source, entries, out m.Entries))
        {
            return false;
        }
        return r.TryNil() || ReadSnapshot(ref r, out m.Snapshot);
    }

    /// <summary>
    /// The array header and version (1: 14 elements, no group id; 2: 15 elements, then a non-zero
    /// group id). A header that matches neither version's length is refused before the version is read.
    /// </summary>
    private static bool ReadVersionAndGroup(ref WireReader r, out ulong groupId)
    {
        groupId = 0;
        if (!r.ArrayHeader(WireField.Message, out uint arity))
        {
            return false;
        }
        if (arity != WireFormat.MessageArity && arity != WireFormat.GroupMessageArity)
        {
            return r.Fail(WireField.Message, WireProblem.WrongLength);
        }
        if (!r.UInt(WireField.Version, out ulong version))
        {
            return false;
        }
        if (version == WireFormat.Version)
        {
            return arity == WireFormat.MessageArity || r.Fail(WireField.Message, WireProblem.WrongLength);
        }
        if (version != WireFormat.GroupVersion)
        {
            return r.Fail(WireField.Version, WireProblem.Unsupported);
        }
        if (arity != WireFormat.GroupMessageArity)
        {
            return r.Fail(WireField.Message, WireProblem.WrongLength);
        }
        if (!r.UInt(WireField.GroupId, out groupId))
        {
            return false;
        }
        // Group 0 is written as version 1: one encoding per message.
        return groupId != 0 || r.Fail(WireField.GroupId, WireProblem.Unsupported);
    }

    private static bool ReadMessageType(ref WireReader r, out MessageType type)
    {
        type = default;
        if (!r.UInt(WireField.Type, out ulong v))
        {
            return false;
        }
        if (v > (ulong)MessageType.ForgetLeader)
        {
            return r.Fail(WireField.Type, WireProblem.Unsupported);
        }
        type = (MessageType)v;
        return IsWireType(type) || r.Fail(WireField.Type, WireProblem.LocalOnly);
    }

    private static bool ReadEntries(ref WireReader r, ReadOnlyMemory<byte> source, EntryBuffer entries, out ReadOnlyMemory<Entry> view)
    {
        view = default;
        if (!r.Count(WireField.Entries, WireFormat.MinEntrySize, out int count))
        {
            return false;
        }
        if (count == 0)
        {
            return true;
        }
        int start = entries.Count;
        for (int i = 0; i < count; i++)
        {
            if (!r.Arity(WireField.Entry, WireFormat.EntryArity)
                || !r.UInt(WireField.EntryTerm, out ulong term)
                || !r.UInt(WireField.EntryIndex, out ulong index)
                || !r.UInt(WireField.EntryType, out ulong type))
            {
                return false;
            }
            if (type > (ulong)EntryType.ConfChangeV2)
            {
                return r.Fail(WireField.EntryType, WireProblem.Unsupported);
            }
            if (!ReadSlice(ref r, WireField.EntryData, source, out ReadOnlyMemory<byte> data))
            {
                return false;
            }
            entries.Add(new Entry(term, index, (EntryType)type, data));
        }
        view = entries.AsMemory(start, count);
        return true;
    }

    /// <summary>Reads a snapshot into a new object with its own copy of the data (snapshots are rare).</summary>
    private static bool ReadSnapshot(ref WireReader r, out Snapshot? snapshot)
    {
        snapshot = null;
        if (!r.Arity(WireField.Snapshot, WireFormat.SnapshotArity)
            || !r.UInt(WireField.SnapshotIndex, out ulong index)
            || !r.UInt(WireField.SnapshotTerm, out ulong term)
            || !r.Arity(WireField.ConfState, WireFormat.ConfStateArity)
            || !ReadIds(ref r, WireField.Voters, out ulong[] voters)
            || !ReadIds(ref r, WireField.Learners, out ulong[] learners)
            || !ReadIds(ref r, WireField.VotersOutgoing, out ulong[] votersOutgoing)
            || !ReadIds(ref r, WireField.LearnersNext, out ulong[] learnersNext)
            || !r.Bool(WireField.AutoLeave, out bool autoLeave)
            || !r.Binary(WireField.SnapshotData, out int start, out int length))
        {
            return false;
        }
        // Only now, with the whole snapshot known to be well-formed, copy its data.
        ReadOnlyMemory<byte> data = length == 0 ? ReadOnlyMemory<byte>.Empty : r.Slice(start, length).ToArray();
        var confState = new ConfState
        {
            Voters = voters,
            Learners = learners,
            VotersOutgoing = votersOutgoing,
            LearnersNext = learnersNext,
            AutoLeave = autoLeave,
        };
        snapshot = new Snapshot(data, new SnapshotMetadata(confState, index, term));
        return true;
    }

    private static bool ReadIds(ref WireReader r, WireField field, out ulong[] ids)
    {
        ids = [];
        if (!r.Count(field, WireFormat.MinIdSize, out int count))
        {
            return false;
        }
        if (count == 0)
        {
            return true;
        }
        var result = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            if (!r.UInt(field, out result[i]))
            {
                return false;
            }
        }
        ids = result;
        return true;
    }

    /// <summary>Reads a binary string as a slice of <paramref name="source"/> (no copy).</summary>
    private static bool ReadSlice(ref WireReader r, WireField field, ReadOnlyMemory<byte> source, out ReadOnlyMemory<byte> slice)
    {
        slice = default;
        if (!r.Binary(field, out int start, out int length))
        {
            return false;
        }
        if (length != 0)
        {
            slice = source.Slice(start, length);
        }
        return true;
    }
}
