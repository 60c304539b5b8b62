using FastRaft.Protocol;

namespace FastRaft.Codec;

public static partial class RaftMessageCodec
{
    /// <summary>
    /// The exact number of bytes <see cref="Write(System.Buffers.IBufferWriter{byte}, in Message)"/>
    /// produces for <paramref name="m"/>, so a transport can decide batching or chunking before
    /// writing. A long: entries may reference more bytes than fit one buffer.
    /// </summary>
    public static long EncodedSize(in Message m)
    {
        long n = (m.GroupId == 0
                ? WireFormat.ArrayHeaderSize(WireFormat.MessageArity) + WireFormat.UIntSize(WireFormat.Version)
                : WireFormat.ArrayHeaderSize(WireFormat.GroupMessageArity) + WireFormat.UIntSize(WireFormat.GroupVersion) + WireFormat.UIntSize(m.GroupId))
            + WireFormat.UIntSize((ulong)m.Type)
            + WireFormat.UIntSize(m.To)
            + WireFormat.UIntSize(m.From)
            + WireFormat.UIntSize(m.Term)
            + WireFormat.UIntSize(m.LogTerm)
            + WireFormat.UIntSize(m.Index)
            + WireFormat.UIntSize(m.Commit)
            + WireFormat.UIntSize(m.Vote)
            + 1 // reject
            + WireFormat.UIntSize(m.RejectHint)
            + WireFormat.BinSize(m.Context.Length);
        ReadOnlySpan<Entry> entries = m.Entries.Span;
        n += WireFormat.ArrayHeaderSize(entries.Length);
        foreach (ref readonly Entry e in entries)
        {
            n += EncodedSize(in e);
        }
        n += m.Snapshot is null ? 1 : SnapshotSize(m.Snapshot);
        return n;
    }

    /// <summary>The bytes one entry adds to a message's encoding.</summary>
    public static long EncodedSize(in Entry e) =>
        WireFormat.ArrayHeaderSize(WireFormat.EntryArity)
        + WireFormat.UIntSize(e.Term)
        + WireFormat.UIntSize(e.Index)
        + WireFormat.UIntSize((ulong)e.Type)
        + WireFormat.BinSize(e.Data.Length);

    private static long SnapshotSize(Snapshot s)
    {
        ConfState cs = s.Metadata.ConfState;
        return WireFormat.ArrayHeaderSize(WireFormat.SnapshotArity)
            + WireFormat.UIntSize(s.Metadata.Index)
            + WireFormat.UIntSize(s.Metadata.Term)
            + WireFormat.ArrayHeaderSize(WireFormat.ConfStateArity)
            + IdsSize(cs.Voters)
            + IdsSize(cs.Learners)
            + IdsSize(cs.VotersOutgoing)
            + IdsSize(cs.LearnersNext)
            + 1 // auto_leave
            + WireFormat.BinSize(s.Data.Length);
    }

    private static long IdsSize(ulong[] ids)
    {
        long n = WireFormat.ArrayHeaderSize(ids.Length);
        foreach (ulong id in ids)
        {
            n += WireFormat.UIntSize(id);
        }
        return n;
    }
}
