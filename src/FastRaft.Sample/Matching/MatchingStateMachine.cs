using System.Buffers;
using FastRaft.Hosting;
using FastRaft.Protocol;
using MessagePack;

namespace FastRaft.Sample.Matching;

/// <summary>
/// A <see cref="MatchingEngine"/> as a Raft node's replicated state machine: each committed
/// entry is one encoded command (<see cref="CommandCodec"/>), its result the entry's
/// <see cref="CommandResult"/>; empty entries are no-ops. Every member is thread-safe, so other
/// threads may read statistics, client records and the state hash while the node applies.
/// </summary>
public sealed class MatchingStateMachine : IStateMachine<CommandResult>
{
    private readonly Lock _gate = new();
    private readonly MatchingEngine _engine;
    private ulong _lastIndex;
    private ArrayBufferWriter<byte>? _snapshotBuffer;

    public MatchingStateMachine(IEnumerable<Instrument> instruments, ITradeObserver? observer = null)
    {
        _engine = new MatchingEngine(instruments, observer);
    }

    /// <summary>The instruments traded.</summary>
    public IReadOnlyList<Instrument> Instruments => _engine.Instruments;

    /// <summary>The log index of the last command applied (or of the snapshot restored).</summary>
    public ulong LastIndex
    {
        get
        {
            lock (_gate)
            {
                return _lastIndex;
            }
        }
    }

    public EngineStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return _engine.Statistics;
            }
        }
    }

    public int RestingOrders
    {
        get
        {
            lock (_gate)
            {
                return _engine.RestingOrders;
            }
        }
    }

    public void Apply(ReadOnlySpan<Entry> entries, Span<CommandResult> results)
    {
        lock (_gate)
        {
            for (int i = 0; i < entries.Length; i++)
            {
                ref readonly Entry e = ref entries[i];
                if (!e.Data.IsEmpty)
                {
                    results[i] = _engine.Apply(e.Data);
                }
            }
            if (!entries.IsEmpty)
            {
                _lastIndex = entries[^1].Index;
            }
        }
    }

    public void SaveSnapshot(Stream destination)
    {
        lock (_gate)
        {
            ArrayBufferWriter<byte> buffer = _snapshotBuffer ??= new ArrayBufferWriter<byte>(64 * 1024);
            buffer.ResetWrittenCount();
            var writer = new MessagePackWriter(buffer);
            writer.Write(_lastIndex);
            _engine.WriteSnapshot(ref writer);
            writer.Flush();
            destination.Write(buffer.WrittenSpan);
        }
    }

    public void RestoreSnapshot(Stream source)
    {
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        lock (_gate)
        {
            if (copy.Length == 0)
            {
                // The bootstrap snapshot is empty: an empty engine.
                _engine.Reset();
                _lastIndex = 0;
                return;
            }
            var reader = new MessagePackReader(copy.GetBuffer().AsMemory(0, (int)copy.Length));
            try
            {
                if (!MessagePackFields.TryReadUInt64(ref reader, out ulong lastIndex))
                {
                    throw new InvalidDataException("bad matching state machine snapshot: no applied index");
                }
                _engine.ReadSnapshot(ref reader);
                if (!reader.End)
                {
                    _engine.Reset();
                    throw new InvalidDataException("bad matching state machine snapshot: trailing bytes");
                }
                _lastIndex = lastIndex;
            }
            catch (EndOfStreamException e)
            {
                throw new InvalidDataException("bad matching state machine snapshot: truncated", e);
            }
        }
    }

    /// <summary>
    /// Checks a snapshot by decoding it into a scratch engine with the same instruments, exactly as
    /// <see cref="RestoreSnapshot"/> would: the live engine is never touched, so a refused snapshot
    /// leaves the state as it was (the node then tells the leader and persists nothing of it).
    /// </summary>
    public SnapshotValidationResult ValidateSnapshot(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty)
        {
            // The bootstrap snapshot: restores to an empty engine.
            return SnapshotValidationResult.Success;
        }
        var scratch = new MatchingEngine(_engine.Instruments);
        var reader = new MessagePackReader(data);
        try
        {
            if (!MessagePackFields.TryReadUInt64(ref reader, out _))
            {
                return SnapshotValidationResult.Fail("bad matching state machine snapshot: no applied index");
            }
            scratch.ReadSnapshot(ref reader);
            return reader.End
                ? SnapshotValidationResult.Success
                : SnapshotValidationResult.Fail("bad matching state machine snapshot: trailing bytes");
        }
        catch (InvalidDataException e)
        {
            return SnapshotValidationResult.Fail(e.Message);
        }
        catch (Exception e) when (e is EndOfStreamException or MessagePackSerializationException)
        {
            return SnapshotValidationResult.Fail($"bad matching state machine snapshot: {e.Message}");
        }
    }

    /// <summary>The applied index and the state hash, taken together.</summary>
    public (ulong LastIndex, byte[] Hash) HashState()
    {
        lock (_gate)
        {
            return (_lastIndex, _engine.ComputeStateHash());
        }
    }

    public bool TryGetClient(ulong clientId, out ClientRecord record)
    {
        lock (_gate)
        {
            return _engine.TryGetClient(clientId, out record);
        }
    }

    /// <summary>Runs <paramref name="read"/> on the engine under the state machine's lock (keep it short: it blocks applying).</summary>
    public T Read<T>(Func<MatchingEngine, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_gate)
        {
            return read(_engine);
        }
    }
}
