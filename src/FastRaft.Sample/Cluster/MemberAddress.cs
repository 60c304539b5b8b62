using System.Buffers;
using System.Net;
using FastRaft.Sample.Matching;
using MessagePack;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// The Raft address of a node added at run time, as carried in its configuration change's
/// context (etcd carries a member's URLs the same way): <c>[1, "ip:port"]</c>. Every replica
/// reads it when it applies the change, so each learns where the new member listens.
/// </summary>
internal static class MemberAddress
{
    private const int Version = 1;
    private const int Fields = 2;
    private const int MaxTextBytes = 64;

    public static byte[] Encode(IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var buffer = new ArrayBufferWriter<byte>(32);
        var w = new MessagePackWriter(buffer);
        Write(ref w, address);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(ref MessagePackWriter w, IPEndPoint address)
    {
        w.WriteArrayHeader(Fields);
        w.Write(Version);
        w.Write(address.ToString());
    }

    /// <summary>Decodes a context that must be exactly one address record; false for anything else (e.g. the empty context of a bootstrap change).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> context, out IPEndPoint address)
    {
        address = null!;
        if (context.IsEmpty)
        {
            return false;
        }
        var reader = new MessagePackReader(context);
        return TryRead(ref reader, out address) && reader.End;
    }

    public static bool TryRead(ref MessagePackReader reader, out IPEndPoint address)
    {
        address = null!;
        if (!MessagePackFields.TryReadArrayHeader(ref reader, out int n) || n != Fields
            || !MessagePackFields.TryReadInt64(ref reader, out long version) || version != Version
            || !MessagePackFields.TryReadString(ref reader, MaxTextBytes, out string text)
            || !IPEndPoint.TryParse(text, out IPEndPoint? parsed) || parsed.Port == 0)
        {
            return false;
        }
        address = parsed;
        return true;
    }
}
