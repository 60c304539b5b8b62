using System.Buffers.Binary;
using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Tests.EndToEnd;

/// <summary>
/// A replicated ledger for end-to-end tests. Each payload starts with a client id and a sequence
/// number (8 bytes each, little-endian); the rest is kept as data. An operation already applied
/// (a client's retry of a proposal whose outcome it could not know) is recognised and not applied
/// again, so every operation takes effect exactly once. The ledger records every application in
/// order; all of it is the snapshot, so a restarted or snapshot-fed node has the same record.
/// Thread-safe, so tests can look while the node applies.
/// </summary>
internal sealed class LedgerStateMachine : IStateMachine<ulong>
{
    public const int KeySize = 16;

    /// <summary>Result of an entry without an operation (a new leader's empty entry).</summary>
    public const ulong NoOp = 0;

    /// <summary>Result of an operation applied now.</summary>
    public const ulong AppliedNow = 1;

    /// <summary>Result of an operation that had been applied before.</summary>
    public const ulong AlreadyApplied = 2;

    private const ulong HashSeed = 14695981039346656037UL;

    private readonly Lock _gate = new();
    private readonly HashSet<(ulong Client, ulong Seq)> _applied = [];
    private readonly List<(ulong Client, ulong Seq)> _order = [];
    private readonly MemoryStream _data = new();
    private ulong _hash = HashSeed;
    private long _duplicates;

    public void Apply(ReadOnlySpan<Entry> entries, Span<ulong> results)
    {
        lock (_gate)
        {
            for (int i = 0; i < entries.Length; i++)
            {
                ReadOnlySpan<byte> d = entries[i].Data.Span;
                if (d.Length < KeySize)
                {
                    results[i] = NoOp;
                    continue;
                }
                var key = (BinaryPrimitives.ReadUInt64LittleEndian(d), BinaryPrimitives.ReadUInt64LittleEndian(d[8..]));
                if (!_applied.Add(key))
                {
                    _duplicates++;
                    results[i] = AlreadyApplied;
                    continue;
                }
                _order.Add(key);
                _data.Write(d[KeySize..]);
                _hash = Mix(Mix(_hash, key.Item1), key.Item2);
                foreach (byte b in d[KeySize..])
                {
                    _hash = Mix(_hash, b);
                }
                results[i] = AppliedNow;
            }
        }
    }

    public void SaveSnapshot(Stream destination)
    {
        lock (_gate)
        {
            using var w = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(_hash);
            w.Write(_duplicates);
            w.Write(_order.Count);
            foreach ((ulong client, ulong seq) in _order)
            {
                w.Write(client);
                w.Write(seq);
            }
            w.Write(_data.Length);
            w.Flush();
            _data.Position = 0;
            _data.CopyTo(destination);
        }
    }

    public void RestoreSnapshot(Stream source)
    {
        lock (_gate)
        {
            _applied.Clear();
            _order.Clear();
            _data.SetLength(0);
            _hash = HashSeed;
            _duplicates = 0;
            if (source.Length == 0)
            {
                return;
            }
            using var r = new BinaryReader(source, System.Text.Encoding.UTF8, leaveOpen: true);
            _hash = r.ReadUInt64();
            _duplicates = r.ReadInt64();
            int n = r.ReadInt32();
            for (int i = 0; i < n; i++)
            {
                var key = (r.ReadUInt64(), r.ReadUInt64());
                _applied.Add(key);
                _order.Add(key);
            }
            long length = r.ReadInt64();
            byte[] data = r.ReadBytes(checked((int)length));
            Assert.Equal(length, data.Length);
            _data.Write(data);
        }
    }

    /// <summary>What two replicas must agree on: the fold of every application and their count.</summary>
    public (ulong Hash, int Count) State
    {
        get
        {
            lock (_gate)
            {
                return (_hash, _order.Count);
            }
        }
    }

    /// <summary>Operations seen again after they were applied (retries that turned out to be committed already).</summary>
    public long Duplicates
    {
        get
        {
            lock (_gate)
            {
                return _duplicates;
            }
        }
    }

    public long DataBytes
    {
        get
        {
            lock (_gate)
            {
                return _data.Length;
            }
        }
    }

    /// <summary>Every application, in order.</summary>
    public List<(ulong Client, ulong Seq)> Applications()
    {
        lock (_gate)
        {
            return [.. _order];
        }
    }

    /// <summary>A payload of <paramref name="size"/> bytes (at least the key) for operation (client, seq), its data derived from both.</summary>
    public static byte[] Payload(ulong client, ulong seq, int size)
    {
        byte[] p = new byte[Math.Max(size, KeySize)];
        BinaryPrimitives.WriteUInt64LittleEndian(p, client);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), seq);
        for (int i = KeySize; i < p.Length; i++)
        {
            p[i] = (byte)(seq * 31 + (ulong)i);
        }
        return p;
    }

    private static ulong Mix(ulong h, ulong v) => (h ^ v) * 1099511628211UL;
}
