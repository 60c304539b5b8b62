using System.Buffers.Binary;

namespace FastRaft.Simulation.Kv;

/// <summary>
/// The replicated state machine: a few keys holding 64-bit values (0 = absent) and, per client,
/// the last applied sequence number and its result (the session table that makes a duplicated
/// command a no-op). Small and fixed-size, so a snapshot is a flat byte image.
/// </summary>
public sealed class KvStore
{
    private readonly ulong[] _values;
    private readonly ulong[] _lastSeq;
    private readonly bool[] _lastResult;

    public KvStore(int keys, int clients)
    {
        _values = new ulong[keys];
        _lastSeq = new ulong[clients];
        _lastResult = new bool[clients];
    }

    public int Keys => _values.Length;

    public ulong Get(int key) => _values[key];

    /// <summary>
    /// Applies a command once: a sequence number at or below the client's last one is a
    /// duplicate and only returns the recorded result. Returns the result (CAS: whether it swapped).
    /// </summary>
    public bool Apply(in KvCommand c, out bool duplicate)
    {
        duplicate = c.Seq <= _lastSeq[c.Client];
        if (duplicate)
        {
            // Only the latest result is kept; older duplicates are answered by nobody.
            return _lastResult[c.Client];
        }
        bool result = true;
        if (c.Kind == KvCommandKind.Put)
        {
            _values[c.Key] = c.Value;
        }
        else if (_values[c.Key] == c.Expected)
        {
            _values[c.Key] = c.Value;
        }
        else
        {
            result = false;
        }
        _lastSeq[c.Client] = c.Seq;
        _lastResult[c.Client] = result;
        return result;
    }

    /// <summary>Whether a command is well formed for this store's dimensions.</summary>
    public bool Accepts(in KvCommand c) =>
        c.Key >= 0 && c.Key < _values.Length && c.Client >= 0 && c.Client < _lastSeq.Length;

    /// <summary>A hash of the whole state (FNV-1a over the snapshot image).</summary>
    public ulong Digest() => Fnv.Hash(Encode());

    public byte[] Encode()
    {
        var b = new byte[8 + 8 * _values.Length + 9 * _lastSeq.Length];
        BinaryPrimitives.WriteInt32LittleEndian(b, _values.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), _lastSeq.Length);
        int p = 8;
        foreach (ulong v in _values)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(p), v);
            p += 8;
        }
        for (int i = 0; i < _lastSeq.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(p), _lastSeq[i]);
            b[p + 8] = _lastResult[i] ? (byte)1 : (byte)0;
            p += 9;
        }
        return b;
    }

    /// <summary>Rebuilds a store from a snapshot image; an empty image is the initial state.</summary>
    public static KvStore Decode(ReadOnlySpan<byte> b, int keys, int clients)
    {
        var s = new KvStore(keys, clients);
        if (b.IsEmpty)
        {
            return s;
        }
        if (b.Length != 8 + 8 * keys + 9 * clients
            || BinaryPrimitives.ReadInt32LittleEndian(b) != keys || BinaryPrimitives.ReadInt32LittleEndian(b[4..]) != clients)
        {
            throw new InvalidDataException("snapshot image does not match the store's dimensions");
        }
        int p = 8;
        for (int i = 0; i < keys; i++, p += 8)
        {
            s._values[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[p..]);
        }
        for (int i = 0; i < clients; i++, p += 9)
        {
            s._lastSeq[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[p..]);
            s._lastResult[i] = b[p + 8] != 0;
        }
        return s;
    }
}
