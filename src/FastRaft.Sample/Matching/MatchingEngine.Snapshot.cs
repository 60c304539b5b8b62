using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using CommunityToolkit.HighPerformance.Buffers;
using MessagePack;

namespace FastRaft.Sample.Matching;

// The engine's state as canonical MessagePack: instruments by id, each side best price first and
// oldest order first, clients by id. Equal states give equal bytes (and equal hashes).
public sealed partial class MatchingEngine
{
    private const string SnapshotMagic = "FastRaft.Sample.MatchingEngine";
    private const int SnapshotVersion = 1;
    private const int MaxSymbolBytes = 256;

    /// <summary>Appends the whole state to <paramref name="output"/>.</summary>
    public void WriteSnapshot(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new MessagePackWriter(output);
        WriteSnapshot(ref writer);
        writer.Flush();
    }

    /// <summary>Writes the whole state to <paramref name="destination"/>.</summary>
    public void WriteSnapshot(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var buffer = new ArrayPoolBufferWriter<byte>(4096);
        WriteSnapshot(buffer);
        destination.Write(buffer.WrittenSpan);
    }

    /// <summary>Replaces the state with a snapshot that fills <paramref name="data"/> exactly.</summary>
    /// <exception cref="InvalidDataException">The data is not a snapshot of an engine with the same instruments (the engine is then empty).</exception>
    public void RestoreSnapshot(ReadOnlyMemory<byte> data)
    {
        var reader = new MessagePackReader(data);
        ReadSnapshot(ref reader);
        if (!reader.End)
        {
            Reset();
            throw BadSnapshot("trailing bytes after the snapshot");
        }
    }

    /// <summary>Replaces the state with the snapshot read from <paramref name="source"/> (to its end).</summary>
    /// <exception cref="InvalidDataException">See <see cref="RestoreSnapshot(ReadOnlyMemory{byte})"/>.</exception>
    public void RestoreSnapshot(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        RestoreSnapshot(copy.GetBuffer().AsMemory(0, (int)copy.Length));
    }

    /// <summary>SHA-256 of the snapshot bytes: equal on every replica that applied the same commands.</summary>
    public byte[] ComputeStateHash()
    {
        using var buffer = new ArrayPoolBufferWriter<byte>(4096);
        WriteSnapshot(buffer);
        return SHA256.HashData(buffer.WrittenSpan);
    }

    public void WriteSnapshot(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(6);
        writer.Write(SnapshotMagic);
        writer.Write(SnapshotVersion);
        writer.Write(_nextOrderId);
        WriteStatistics(ref writer, _stats);
        writer.WriteArrayHeader(_books.Length);
        foreach (OrderBook book in _books)
        {
            writer.WriteArrayHeader(4);
            writer.Write(book.Instrument.Id);
            writer.Write(book.Instrument.Symbol);
            WriteSide(ref writer, book.Bids);
            WriteSide(ref writer, book.Asks);
        }
        var ids = new ulong[_clients.Count];
        _clients.Keys.CopyTo(ids, 0);
        Array.Sort(ids);
        writer.WriteArrayHeader(ids.Length);
        foreach (ulong id in ids)
        {
            ClientSlot c = _clients[id];
            writer.WriteArrayHeader(4);
            writer.Write(id);
            writer.Write(c.LastSequence);
            writer.Write(c.Applied);
            ResultCodec.Write(ref writer, c.LastResult);
        }
    }

    /// <summary>Reads one snapshot from <paramref name="reader"/>, replacing the state.</summary>
    /// <exception cref="InvalidDataException">See <see cref="RestoreSnapshot(ReadOnlyMemory{byte})"/>.</exception>
    public void ReadSnapshot(ref MessagePackReader reader)
    {
        Reset();
        try
        {
            ReadState(ref reader);
        }
        catch (Exception e) when (e is EndOfStreamException or MessagePackSerializationException or OverflowException)
        {
            Reset();
            throw new InvalidDataException($"not a matching engine snapshot: {e.Message}", e);
        }
        catch (InvalidDataException)
        {
            Reset();
            throw;
        }
    }

    private void WriteSide(ref MessagePackWriter writer, BookSide side)
    {
        int count = 0;
        for (int i = 0; i < side.LevelCount; i++)
        {
            count += side.LevelFromBest(i).Count;
        }
        writer.WriteArrayHeader(count);
        for (int i = 0; i < side.LevelCount; i++)
        {
            for (int slot = side.LevelFromBest(i).Head; slot != OrderStore.None; slot = _orders[slot].Next)
            {
                ref RestingOrder o = ref _orders[slot];
                writer.WriteArrayHeader(4);
                writer.Write(o.OrderId);
                writer.Write(o.ClientId);
                writer.Write(o.Price);
                writer.Write(o.Remaining);
            }
        }
    }

    private static void WriteStatistics(ref MessagePackWriter writer, in EngineStatistics s)
    {
        writer.WriteArrayHeader(8);
        writer.Write(s.Commands);
        writer.Write(s.OrdersAccepted);
        writer.Write(s.Cancels);
        writer.Write(s.Rejected);
        writer.Write(s.Duplicates);
        writer.Write(s.Stale);
        writer.Write(s.Trades);
        writer.Write(s.Volume);
    }

    private void ReadState(ref MessagePackReader reader)
    {
        Expect(MessagePackFields.TryReadArrayHeader(ref reader, out int fields) && fields == 6, "not a snapshot array");
        Expect(MessagePackFields.TryReadString(ref reader, SnapshotMagic.Length, out string magic) && magic == SnapshotMagic, "not a matching engine snapshot");
        Expect(MessagePackFields.TryReadInt64(ref reader, out long version) && version == SnapshotVersion, $"unsupported snapshot version {version}");
        Expect(MessagePackFields.TryReadUInt64(ref reader, out _nextOrderId) && _nextOrderId > 0, "bad next order id");
        _stats = ReadStatistics(ref reader);
        Expect(MessagePackFields.TryReadArrayHeader(ref reader, out int books) && books == _books.Length,
            $"the snapshot has {books} instruments, this engine {_books.Length}");
        foreach (OrderBook book in _books)
        {
            Expect(MessagePackFields.TryReadArrayHeader(ref reader, out int n) && n == 4, "bad book");
            Expect(MessagePackFields.TryReadInt64(ref reader, out long id) && id == book.Instrument.Id
                && MessagePackFields.TryReadString(ref reader, MaxSymbolBytes, out string symbol) && symbol == book.Instrument.Symbol,
                $"the snapshot's instruments differ from this engine's (expected {book.Instrument.Id} {book.Instrument.Symbol})");
            ReadSide(ref reader, book, Side.Buy);
            ReadSide(ref reader, book, Side.Sell);
        }
        Expect(MessagePackFields.TryReadArrayHeader(ref reader, out int clients), "bad client table");
        ulong previous = 0;
        for (int i = 0; i < clients; i++)
        {
            if (!(MessagePackFields.TryReadArrayHeader(ref reader, out int n) && n == 4
                && MessagePackFields.TryReadUInt64(ref reader, out ulong id) && id > previous
                && MessagePackFields.TryReadUInt64(ref reader, out ulong last)
                && MessagePackFields.TryReadInt64(ref reader, out long applied) && applied >= 0
                && ResultCodec.TryRead(ref reader, out CommandResult result)))
            {
                throw BadSnapshot("bad client record");
            }
            _clients.Add(id, new ClientSlot { LastSequence = last, Applied = applied, LastResult = result });
            previous = id;
        }
    }

    private void ReadSide(ref MessagePackReader reader, OrderBook book, Side side)
    {
        Expect(MessagePackFields.TryReadArrayHeader(ref reader, out int count), "bad book side");
        long previousPrice = 0;
        for (int i = 0; i < count; i++)
        {
            if (!(MessagePackFields.TryReadArrayHeader(ref reader, out int n) && n == 4
                && MessagePackFields.TryReadUInt64(ref reader, out ulong orderId) && orderId > 0 && orderId < _nextOrderId
                && MessagePackFields.TryReadUInt64(ref reader, out ulong clientId) && clientId > 0
                && MessagePackFields.TryReadInt64(ref reader, out long price) && price is > 0 and <= MaxPrice
                && MessagePackFields.TryReadInt64(ref reader, out long remaining) && remaining is > 0 and <= MaxQuantity))
            {
                throw BadSnapshot("bad resting order");
            }
            // Best price first: bids never rise, asks never fall.
            Expect(i == 0 || (side == Side.Buy ? price <= previousPrice : price >= previousPrice), "resting orders out of price order");
            previousPrice = price;
            var order = new RestingOrder
            {
                OrderId = orderId,
                ClientId = clientId,
                Price = price,
                Remaining = remaining,
                Instrument = book.Instrument.Id,
                Side = side,
            };
            Expect(book.Rest(order), $"order {orderId} rests twice");
        }
    }

    private static EngineStatistics ReadStatistics(ref MessagePackReader reader)
    {
        EngineStatistics s = default;
        Expect(MessagePackFields.TryReadArrayHeader(ref reader, out int n) && n == 8
            && MessagePackFields.TryReadInt64(ref reader, out s.Commands)
            && MessagePackFields.TryReadInt64(ref reader, out s.OrdersAccepted)
            && MessagePackFields.TryReadInt64(ref reader, out s.Cancels)
            && MessagePackFields.TryReadInt64(ref reader, out s.Rejected)
            && MessagePackFields.TryReadInt64(ref reader, out s.Duplicates)
            && MessagePackFields.TryReadInt64(ref reader, out s.Stale)
            && MessagePackFields.TryReadInt64(ref reader, out s.Trades)
            && MessagePackFields.TryReadInt64(ref reader, out s.Volume), "bad statistics");
        return s;
    }

    private static void Expect([DoesNotReturnIf(false)] bool condition, string problem)
    {
        if (!condition)
        {
            throw BadSnapshot(problem);
        }
    }

    private static InvalidDataException BadSnapshot(string problem) => new($"bad matching engine snapshot: {problem}");
}
