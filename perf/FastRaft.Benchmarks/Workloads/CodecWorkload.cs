using System.Buffers;
using FastRaft.Codec;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// One message encoded into a reused buffer writer and decoded into a reused entry buffer, the
/// way a transport does per datagram. Payloads are 16 bytes, as in the load tests.
/// </summary>
public sealed class CodecWorkload
{
    private readonly Message _message;
    private readonly ArrayBufferWriter<byte> _writer = new(64 * 1024);
    private readonly byte[] _encoded;
    private readonly EntryBuffer _entries = new(128);

    public CodecWorkload(string kind)
    {
        _message = kind switch
        {
            "MsgApp1" => App(1),
            "MsgApp64" => App(64),
            "MsgHeartbeat" => new Message(MessageType.Heartbeat, 1, 2, 7) { Commit = 1_000_000 },
            "MsgVote" => new Message(MessageType.Vote, 1, 2, 7) { Index = 1_000_000, LogTerm = 6 },
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown message kind"),
        };
        RaftMessageCodec.Write(_writer, _message);
        _encoded = _writer.WrittenSpan.ToArray();
    }

    public int EncodedLength => _encoded.Length;

    /// <summary>Encodes the message; returns the bytes written.</summary>
    public int Encode()
    {
        _writer.ResetWrittenCount();
        RaftMessageCodec.Write(_writer, _message);
        return _writer.WrittenCount;
    }

    /// <summary>Decodes the message; returns its entry count (throws if decoding fails).</summary>
    public int Decode()
    {
        _entries.Clear();
        int offset = 0;
        if (!RaftMessageCodec.TryRead(_encoded, ref offset, _entries, out Message m, out WireError error))
        {
            throw new InvalidOperationException(error.Text);
        }
        return m.Entries.Length;
    }

    private static Message App(int count)
    {
        var entries = new Entry[count];
        byte[] payload = new byte[16];
        for (int i = 0; i < count; i++)
        {
            entries[i] = new Entry(7, 1_000_001 + (ulong)i, EntryType.Normal, payload);
        }
        return new Message(MessageType.Append, 1, 2, 7) { Index = 1_000_000, LogTerm = 7, Commit = 999_990, Entries = entries };
    }
}
