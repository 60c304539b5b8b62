using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using FastRaft.Protocol;
using MessagePack;

namespace FastRaft.Codec;

/// <summary>
/// Encodes Raft messages between nodes as MessagePack (the layout is in WIRE-FORMAT.md) and
/// decodes them without copying: decoded entry payloads and contexts are slices of the input.
/// Encoding into a reused buffer and decoding into a reused <see cref="Core.EntryBuffer"/>
/// allocate nothing; only a snapshot allocates when decoded.
/// </summary>
public static partial class RaftMessageCodec
{
    /// <summary>
    /// Writes <paramref name="m"/> as one MessagePack array. Node-local messages (storage, hup,
    /// beat…) and messages carrying <see cref="Message.Responses"/> are never sent between nodes
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
        writer.WriteArrayHeader(WireFormat.MessageArity);
        writer.Write(WireFormat.Version);
        writer.Write((ulong)m.Type);
        writer.Write(m.To);
        writer.Write(m.From);
        writer.Write(m.Term);
        writer.Write(m.LogTerm);
        writer.Write(m.Index);
        writer.Write(m.Commit);
        writer.Write(m.Vote);
        writer.Write(m.Reject);
        writer.Write(m.RejectHint);
        writer.Write(m.Context.Span);
        ReadOnlySpan<Entry> entries = m.Entries.Span;
        writer.WriteArrayHeader(entries.Length);
        foreach (ref readonly Entry e in entries)
        {
            writer.WriteArrayHeader(WireFormat.EntryArity);
            writer.Write(e.Term);
            writer.Write(e.Index);
            writer.Write((ulong)e.Type);
            writer.Write(e.Data.Span);
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
        if (Message.IsLocalMsg(m.Type))
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

    private static bool IsKnown(MessageType t) => (uint)t <= (uint)MessageType.MsgForgetLeader;

    private static bool IsKnown(EntryType t) => (uint)t <= (uint)EntryType.EntryConfChangeV2;

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
