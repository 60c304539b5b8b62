using FastRaft.Core;
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
    /// False for malformed input, with a description in <paramref name="error"/>; then
    /// <paramref name="offset"/>, <paramref name="entries"/> and <paramref name="m"/> are as if
    /// nothing had been read. Never throws on input and allocates nothing on failure.
    /// </returns>
    public static bool TryRead(ReadOnlyMemory<byte> source, ref int offset, EntryBuffer entries, out Message m, out string? error)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, source.Length);
        int entriesBefore = entries.Count;
        var reader = new MsgPackSpanReader(source.Span, offset);
        WireError e = ReadMessage(ref reader, source, entries, out m);
        if (e.IsError)
        {
            entries.Truncate(entriesBefore);
            m = default;
            error = e.Text;
            return false;
        }
        offset = reader.Position;
        error = null;
        return true;
    }

    private static WireError ReadMessage(ref MsgPackSpanReader r, ReadOnlyMemory<byte> source, EntryBuffer entries, out Message m)
    {
        m = default;
        WireError e;
        if ((e = ReadArity(ref r, WireField.Message, WireFormat.MessageArity)).IsError
            || (e = ReadUInt(ref r, WireField.Version, out ulong version)).IsError)
        {
            return e;
        }
        if (version != WireFormat.Version)
        {
            return new WireError(WireField.Version, WireProblem.Unsupported);
        }
        if ((e = ReadMessageType(ref r, out m.Type)).IsError
            || (e = ReadUInt(ref r, WireField.To, out m.To)).IsError
            || (e = ReadUInt(ref r, WireField.From, out m.From)).IsError
            || (e = ReadUInt(ref r, WireField.Term, out m.Term)).IsError
            || (e = ReadUInt(ref r, WireField.LogTerm, out m.LogTerm)).IsError
            || (e = ReadUInt(ref r, WireField.Index, out m.Index)).IsError
            || (e = ReadUInt(ref r, WireField.Commit, out m.Commit)).IsError
            || (e = ReadUInt(ref r, WireField.Vote, out m.Vote)).IsError
            || (e = ReadBool(ref r, WireField.Reject, out m.Reject)).IsError
            || (e = ReadUInt(ref r, WireField.RejectHint, out m.RejectHint)).IsError
            || (e = ReadSlice(ref r, WireField.Context, source, out m.Context)).IsError
            || (e = ReadEntries(ref r, source, entries, out m.Entries)).IsError)
        {
            return e;
        }
        if (r.TryReadNil())
        {
            return WireError.None;
        }
        return ReadSnapshot(ref r, out m.Snapshot);
    }

    private static WireError ReadMessageType(ref MsgPackSpanReader r, out MessageType type)
    {
        type = default;
        WireError e = ReadUInt(ref r, WireField.Type, out ulong v);
        if (e.IsError)
        {
            return e;
        }
        if (v > (ulong)MessageType.MsgForgetLeader)
        {
            return new WireError(WireField.Type, WireProblem.Unsupported);
        }
        type = (MessageType)v;
        return Message.IsLocalMsg(type) ? new WireError(WireField.Type, WireProblem.LocalOnly) : WireError.None;
    }

    private static WireError ReadEntries(ref MsgPackSpanReader r, ReadOnlyMemory<byte> source, EntryBuffer entries, out ReadOnlyMemory<Entry> view)
    {
        view = default;
        WireError e = ReadCount(ref r, WireField.Entries, WireFormat.MinEntrySize, out int count);
        if (e.IsError || count == 0)
        {
            return e;
        }
        int start = entries.Count;
        for (int i = 0; i < count; i++)
        {
            if ((e = ReadArity(ref r, WireField.Entry, WireFormat.EntryArity)).IsError
                || (e = ReadUInt(ref r, WireField.EntryTerm, out ulong term)).IsError
                || (e = ReadUInt(ref r, WireField.EntryIndex, out ulong index)).IsError
                || (e = ReadUInt(ref r, WireField.EntryType, out ulong type)).IsError)
            {
                return e;
            }
            if (type > (ulong)EntryType.EntryConfChangeV2)
            {
                return new WireError(WireField.EntryType, WireProblem.Unsupported);
            }
            if ((e = ReadSlice(ref r, WireField.EntryData, source, out ReadOnlyMemory<byte> data)).IsError)
            {
                return e;
            }
            entries.Add(new Entry(term, index, (EntryType)type, data));
        }
        view = entries.AsMemory(start, count);
        return WireError.None;
    }

    /// <summary>Reads a snapshot into a new object with its own copy of the data (snapshots are rare).</summary>
    private static WireError ReadSnapshot(ref MsgPackSpanReader r, out Snapshot? snapshot)
    {
        snapshot = null;
        WireError e;
        if ((e = ReadArity(ref r, WireField.Snapshot, WireFormat.SnapshotArity)).IsError
            || (e = ReadUInt(ref r, WireField.SnapshotIndex, out ulong index)).IsError
            || (e = ReadUInt(ref r, WireField.SnapshotTerm, out ulong term)).IsError
            || (e = ReadArity(ref r, WireField.ConfState, WireFormat.ConfStateArity)).IsError
            || (e = ReadIds(ref r, WireField.Voters, out ulong[] voters)).IsError
            || (e = ReadIds(ref r, WireField.Learners, out ulong[] learners)).IsError
            || (e = ReadIds(ref r, WireField.VotersOutgoing, out ulong[] votersOutgoing)).IsError
            || (e = ReadIds(ref r, WireField.LearnersNext, out ulong[] learnersNext)).IsError
            || (e = ReadBool(ref r, WireField.AutoLeave, out bool autoLeave)).IsError)
        {
            return e;
        }
        ReadStatus s = r.ReadBinary(out int start, out int length);
        if (s != ReadStatus.Ok)
        {
            return WireError.From(WireField.SnapshotData, s);
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
        return WireError.None;
    }

    private static WireError ReadIds(ref MsgPackSpanReader r, WireField field, out ulong[] ids)
    {
        ids = [];
        WireError e = ReadCount(ref r, field, WireFormat.MinIdSize, out int count);
        if (e.IsError || count == 0)
        {
            return e;
        }
        var result = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            if ((e = ReadUInt(ref r, field, out result[i])).IsError)
            {
                return e;
            }
        }
        ids = result;
        return WireError.None;
    }

    /// <summary>
    /// Reads an array header whose elements take at least <paramref name="minElementSize"/> bytes
    /// each, and rejects a count the rest of the input cannot hold — so a forged count never
    /// makes the decoder reserve memory the input does not pay for.
    /// </summary>
    private static WireError ReadCount(ref MsgPackSpanReader r, WireField field, int minElementSize, out int count)
    {
        count = 0;
        ReadStatus s = r.ReadArrayHeader(out uint n);
        if (s != ReadStatus.Ok)
        {
            return WireError.From(field, s);
        }
        if ((ulong)n * (ulong)minElementSize > (ulong)r.Remaining)
        {
            return new WireError(field, WireProblem.CountExceedsInput);
        }
        count = (int)n;
        return WireError.None;
    }

    private static WireError ReadArity(ref MsgPackSpanReader r, WireField field, int arity)
    {
        ReadStatus s = r.ReadArrayHeader(out uint n);
        if (s != ReadStatus.Ok)
        {
            return WireError.From(field, s);
        }
        return n == (uint)arity ? WireError.None : new WireError(field, WireProblem.WrongLength);
    }

    private static WireError ReadUInt(ref MsgPackSpanReader r, WireField field, out ulong value)
    {
        ReadStatus s = r.ReadUInt64(out value);
        return s == ReadStatus.Ok ? WireError.None : WireError.From(field, s);
    }

    private static WireError ReadBool(ref MsgPackSpanReader r, WireField field, out bool value)
    {
        ReadStatus s = r.ReadBoolean(out value);
        return s == ReadStatus.Ok ? WireError.None : WireError.From(field, s);
    }

    /// <summary>Reads a binary string as a slice of <paramref name="source"/> (no copy).</summary>
    private static WireError ReadSlice(ref MsgPackSpanReader r, WireField field, ReadOnlyMemory<byte> source, out ReadOnlyMemory<byte> slice)
    {
        slice = default;
        ReadStatus s = r.ReadBinary(out int start, out int length);
        if (s != ReadStatus.Ok)
        {
            return WireError.From(field, s);
        }
        if (length != 0)
        {
            slice = source.Slice(start, length);
        }
        return WireError.None;
    }
}
