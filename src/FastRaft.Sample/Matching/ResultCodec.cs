using System.Buffers;
using MessagePack;

namespace FastRaft.Sample.Matching;

/// <summary>
/// The MessagePack encoding of <see cref="CommandResult"/>s:
/// <c>[code, reason, orderId, filled, resting, cancelled, trades, duplicate]</c>.
/// </summary>
public static class ResultCodec
{
    /// <summary>An upper bound of one encoded result's size.</summary>
    public const int MaxEncodedSize = 48;

    private const int Fields = 8;

    public static void Encode(in CommandResult result, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new MessagePackWriter(output);
        Write(ref writer, result);
        writer.Flush();
    }

    public static void Write(ref MessagePackWriter writer, in CommandResult result)
    {
        writer.WriteArrayHeader(Fields);
        writer.Write((byte)result.Code);
        writer.Write((byte)result.Reason);
        writer.Write(result.OrderId);
        writer.Write(result.Filled);
        writer.Write(result.Resting);
        writer.Write(result.Cancelled);
        writer.Write(result.Trades);
        writer.Write(result.Duplicate);
    }

    /// <summary>Decodes a result that must fill <paramref name="data"/> exactly; false for anything else.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, out CommandResult result)
    {
        result = default;
        try
        {
            var reader = new MessagePackReader(data);
            return TryRead(ref reader, out result) && reader.End;
        }
        catch (Exception e) when (e is EndOfStreamException or MessagePackSerializationException or OverflowException)
        {
            // Not expected (TryRead is total); kept so a reader surprise stays a refusal.
            result = default;
            return false;
        }
    }

    /// <summary>Reads one result; false, never an exception, for anything that is not one.</summary>
    public static bool TryRead(ref MessagePackReader reader, out CommandResult result)
    {
        result = default;
        if (!MessagePackFields.TryReadArrayHeader(ref reader, out int count) || count != Fields
            || !MessagePackFields.TryReadInt32(ref reader, 0, -1, out int code) || code is < 0 or > byte.MaxValue
            || !MessagePackFields.TryReadInt32(ref reader, 0, -1, out int reason) || reason is < 0 or > byte.MaxValue
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong orderId)
            || !MessagePackFields.TryReadInt64(ref reader, out long filled)
            || !MessagePackFields.TryReadInt64(ref reader, out long resting)
            || !MessagePackFields.TryReadInt64(ref reader, out long cancelled)
            || !MessagePackFields.TryReadInt32(ref reader, 0, -1, out int trades) || trades < 0
            || !MessagePackFields.TryReadBoolean(ref reader, out bool duplicate))
        {
            return false;
        }
        result = new CommandResult((ResultCode)code, (RejectReason)reason, orderId, filled, resting, cancelled, trades, duplicate);
        return true;
    }
}
