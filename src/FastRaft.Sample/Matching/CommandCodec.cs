using System.Buffers;
using CommunityToolkit.HighPerformance.Buffers;
using MessagePack;

namespace FastRaft.Sample.Matching;

/// <summary>
/// The MessagePack encoding of <see cref="OrderCommand"/>s, as proposed to the Raft log:
/// place = <c>[1, client, sequence, instrument, side, type, price, quantity]</c>,
/// cancel = <c>[2, client, sequence, instrument, orderId]</c>, all integers. Decoding is strict
/// (exact element counts, integers only, no trailing bytes) and never throws on bad input.
/// </summary>
public static class CommandCodec
{
    /// <summary>An upper bound of one encoded command's size.</summary>
    public const int MaxEncodedSize = 48;

    private const int PlaceFields = 8;
    private const int CancelFields = 5;

    /// <summary>Appends the encoding of <paramref name="command"/> to <paramref name="output"/>.</summary>
    public static void Encode(in OrderCommand command, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new MessagePackWriter(output);
        Write(ref writer, command);
        writer.Flush();
    }

    /// <summary>The encoding of <paramref name="command"/> in a new array.</summary>
    public static byte[] Encode(in OrderCommand command)
    {
        using var buffer = new ArrayPoolBufferWriter<byte>(MaxEncodedSize);
        Encode(command, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(ref MessagePackWriter writer, in OrderCommand command)
    {
        if (command.Kind == CommandKind.Cancel)
        {
            writer.WriteArrayHeader(CancelFields);
            writer.Write((byte)CommandKind.Cancel);
            writer.Write(command.ClientId);
            writer.Write(command.Sequence);
            writer.Write(command.Instrument);
            writer.Write(command.OrderId);
            return;
        }
        writer.WriteArrayHeader(PlaceFields);
        writer.Write((byte)command.Kind);
        writer.Write(command.ClientId);
        writer.Write(command.Sequence);
        writer.Write(command.Instrument);
        writer.Write((byte)command.Side);
        writer.Write((byte)command.Type);
        writer.Write(command.Price);
        writer.Write(command.Quantity);
    }

    /// <summary>
    /// Decodes one command that must fill <paramref name="data"/> exactly. Returns false for
    /// anything else, never throws. Field values are not validated here (the engine rejects them
    /// with a reason); values outside their type's range come back out of range, never wrapped.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, out OrderCommand command)
    {
        command = default;
        if (data.IsEmpty)
        {
            return false;
        }
        try
        {
            var reader = new MessagePackReader(data);
            return TryRead(ref reader, out command) && reader.End;
        }
        catch (Exception)
        {
            // TryRead is total (every read checks lengths first); this is the last line of
            // defence all the same: a decoder that threw while applying would fault every
            // replica at the same entry, so anything unexpected is garbage, not a command.
            command = default;
            return false;
        }
    }

    /// <summary>Reads one command (see <see cref="TryDecode"/>); false, never an exception, for anything that is not one.</summary>
    public static bool TryRead(ref MessagePackReader reader, out OrderCommand command)
    {
        command = default;
        if (!MessagePackFields.TryReadArrayHeader(ref reader, out int count)
            || !MessagePackFields.TryReadInt64(ref reader, out long kind)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong client)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong sequence)
            || !MessagePackFields.TryReadInt32(ref reader, int.MinValue, -1, out int instrument))
        {
            return false;
        }
        if (kind == (long)CommandKind.Cancel)
        {
            if (count != CancelFields || !MessagePackFields.TryReadUInt64(ref reader, out ulong orderId))
            {
                return false;
            }
            command = new OrderCommand(CommandKind.Cancel, client, sequence, instrument, 0, 0, 0, 0, orderId);
            return true;
        }
        if (count != PlaceFields
            || !MessagePackFields.TryReadInt32(ref reader, 0, 0, out int side)
            || !MessagePackFields.TryReadInt32(ref reader, 0, 0, out int type)
            || !MessagePackFields.TryReadInt64(ref reader, out long price)
            || !MessagePackFields.TryReadInt64(ref reader, out long quantity))
        {
            return false;
        }
        // Unknown kinds, sides and types are kept as they came (or 0 when out of a byte) for the engine to reject by name.
        command = new OrderCommand(
            kind is >= 0 and <= byte.MaxValue ? (CommandKind)kind : 0,
            client, sequence, instrument,
            side <= byte.MaxValue ? (Side)side : 0,
            type <= byte.MaxValue ? (OrderType)type : 0,
            price, quantity, 0);
        return true;
    }
}
