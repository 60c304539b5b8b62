using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using FastRaft.Protocol;
using MessagePack;

namespace FastRaft.Codec;

/// <summary>
/// Encodes Raft messages between nodes as MessagePack (the layout is in WIRE-FORMAT.md) and
/// decodes them without copying: decoded entry payloads and contexts are slices of the input.
/// Encoding into a reused buffer and decoding into a reused <see cref="EntryBuffer"/>
/// allocate nothing; only a snapshot allocates when decoded.
/// </summary>
public static partial class RaftMessageCodec
{
    /// <summary>
    /// Writes <paramref name="m"/> as one MessagePack array: format version 1 when its
    /// <see cref="Message.GroupId"/> is 0, version 2 (with the group id) otherwise. Node-local messages (storage, hup,
    /// beat…; see <see cref="IsWireType"/>) and messages carrying <see cref="Message.Responses"/> are never sent between nodes
    /// and are rejected with <see cref="ArgumentException"/> before anything is written; so are
    /// message or entry types this codec does not know. The writer must not be in
    /// <see cref="MessagePackWriter.OldSpec"/> mode (it has no binary type).
    /// </summary>
    public static void Write(ref MessagePackWriter writer, in Message m)
    {
        if (writer.OldSpec)
        {
            ThrowOldSpec();
        }
        Validate(in m);
        ReadOnlySpan<byte> context = m.Context.Span;
        Span<byte> head = writer.GetSpan(MaxHeadSize + InlineLength(context.Length));
        int n;
        if (m.GroupId == 0)
        {
            // Version 1: a single-group node's bytes are what they were before group ids existed.
            n = WireWriter.ArrayHeader(head, WireFormat.MessageArity);
            n += WireWriter.UInt(head[n..], WireFormat.Version);
        }
        else
        {
            n = WireWriter.ArrayHeader(head, WireFormat.GroupMessageArity);
            n += WireWriter.UInt(head[n..], WireFormat.GroupVersion);
            n += WireWriter.UInt(head[n..], m.GroupId);
        }
        n += WireWriter.UInt(head[n..], (ulong)m.Type);
        n += WireWriter.UInt(head[n..], m.To);
        n += WireWriter.UInt(head[n..], m.From);
        n += WireWriter.UInt(head[n..], m.Term);
        n += WireWriter.UInt(head[n..], m.LogTerm);
        n += WireWriter.UInt(head[n..], m.Index);
        n += WireWriter.UInt(head[n..], m.Commit);
        n += WireWriter.UInt(head[n..], m.Vote);
        n += WireWriter.Bool(head[n..], m.Reject);
        n += WireWriter.UInt(head[n..], m.RejectHint);
        n += WireWriter.BinHeader(head[n..], context.Length);
        if (context.Length <= InlineCopyLimit)
        {
            context.CopyTo(head[n..]);
            n += context.Length;
        }
        else
        {
            writer.Advance(n);
            writer.WriteRaw(context);
            head = writer.GetSpan(WireWriter.MaxHeaderSize);
            n = 0;
        }
        ReadOnlySpan<Entry> entries = m.Entries.Span;
        n += WireWriter.ArrayHeader(head[n..], entries.Length);
        writer.Advance(n);
        foreach (ref readonly Entry e in entries)
        {
            WriteEntry(ref writer, in e);
        }
        if (m.Snapshot is null)
        {
            writer.WriteNil();
        }
        else
        {
            WriteSnapshot(ref writer, m.Snapshot);
        }
    }

    /// <summary>Writes <paramref name="m"/> to <paramref name="output"/> (see <see cref="Write(ref MessagePackWriter, in Message)"/>).</summary>
    public static void Write(IBufferWriter<byte> output, in Message m)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new MessagePackWriter(output);
        Write(ref writer, in m);
        writer.Flush();
    }

    /// <summary>Array header, version, group id, type, seven integers, reject, reject hint, context header, entries header.</summary>
    private const int MaxHeadSize = 1 + 1 + WireWriter.MaxUIntSize + 1 + (7 * WireWriter.MaxUIntSize) + 1 + WireWriter.MaxUIntSize + WireWriter.MaxHeaderSize + WireWriter.MaxHeaderSize;

    /// <summary>Array header, term, index, type, data header.</summary>
    private const int MaxEntryHeadSize = 1 + WireWriter.MaxUIntSize + WireWriter.MaxUIntSize + 1 + WireWriter.MaxHeaderSize;

    /// <summary>Payloads up to this length are copied into the span reserved for their header: one reservation per entry.</summary>
    private const int InlineCopyLimit = 256;

    private static int InlineLength(int length) => length <= InlineCopyLimit ? length : 0;

    private static void WriteEntry(ref MessagePackWriter writer, in Entry e)
    {
        ReadOnlySpan<byte> data = e.Data.Span;
        Span<byte> span = writer.GetSpan(MaxEntryHeadSize + InlineLength(data.Length));
        int n = WireWriter.ArrayHeader(span, WireFormat.EntryArity);
        n += WireWriter.UInt(span[n..], e.Term);
        n += WireWriter.UInt(span[n..], e.Index);
        n += WireWriter.UInt(span[n..], (ulong)e.Type);
        n += WireWriter.BinHeader(span[n..], data.Length);
        if (data.Length <= InlineCopyLimit)
        {
            data.CopyTo(span[n..]);
            writer.Advance(n + data.Length);
        }
        else
        {
            writer.Advance(n);
            writer.WriteRaw(data);
        }
    }

    private static void WriteSnapshot(ref MessagePackWriter writer, Snapshot s)
    {
        writer.WriteArrayHeader(WireFormat.SnapshotArity);
        writer.Write(s.Metadata.Index);
        writer.Write(s.Metadata.Term);
        ConfState cs = s.Metadata.ConfState;
        writer.WriteArrayHeader(WireFormat.ConfStateArity);
        WriteIds(ref writer, cs.Voters);
        WriteIds(ref writer, cs.Learners);
        WriteIds(ref writer, cs.VotersOutgoing);
        WriteIds(ref writer, cs.LearnersNext);
        writer.Write(cs.AutoLeave);
        writer.Write(s.Data.Span);
    }

    private static void WriteIds(ref MessagePackWriter writer, ulong[] ids)
    {
        writer.WriteArrayHeader(ids.Length);
        foreach (ulong id in ids)
        {
            writer.Write(id);
        }
    }

    /// <summary>Rejects what must never reach the wire, before a byte is written.</summary>
    private static void Validate(in Message m)
    {
        if (!IsKnown(m.Type))
        {
            ThrowUnknownType(m.Type);
        }
        if (!IsWireType(m.Type))
        {
            ThrowLocal(m.Type);
        }
        if (!m.Responses.IsEmpty)
        {
            ThrowResponses();
        }
        foreach (ref readonly Entry e in m.Entries.Span)
        {
            if (!IsKnown(e.Type))
            {
                ThrowUnknownEntryType(e.Type);
            }
        }
    }

    private static bool IsKnown(MessageType t) => (uint)t <= (uint)MessageType.ForgetLeader;

    /// <summary>
    /// Whether messages of type <paramref name="t"/> travel between nodes: every type but the
    /// node-local ones, except <see cref="MessageType.SnapshotStatus"/>, by which a follower tells the leader it refused a
    /// snapshot (the receiving host reports it to its core as a failed delivery; the core itself
    /// never steps one from a peer).
    /// </summary>
    public static bool IsWireType(MessageType t) => !Message.IsLocalMsg(t) || t == MessageType.SnapshotStatus;

    private static bool IsKnown(EntryType t) => (uint)t <= (uint)EntryType.ConfChangeV2;

    [DoesNotReturn]
    private static void ThrowOldSpec() =>
        throw new ArgumentException("an OldSpec MessagePackWriter writes binary data as strings, which this format does not accept", "writer");

    [DoesNotReturn]
    private static void ThrowUnknownType(MessageType t) =>
        throw new ArgumentException($"message type {(int)t} is not a known message type", "m");

    [DoesNotReturn]
    private static void ThrowLocal(MessageType t) =>
        throw new ArgumentException($"{t} is a node-local message and is never sent between nodes", "m");

    [DoesNotReturn]
    private static void ThrowResponses() =>
        throw new ArgumentException("a message carrying Responses is node-local and is never sent between nodes", "m");

    [DoesNotReturn]
    private static void ThrowUnknownEntryType(EntryType t) =>
        throw new ArgumentException($"entry type {(int)t} is not a known entry type", "m");
}
