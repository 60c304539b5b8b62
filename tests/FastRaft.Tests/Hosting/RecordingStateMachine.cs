using System.Buffers.Binary;
using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// A test state machine: folds every applied entry into a hash, counts non-empty entries and
/// remembers the 8-byte id each payload starts with. Thread-safe so tests can look while the
/// node applies. The result of an entry is the count after applying it.
/// </summary>
internal sealed class RecordingStateMachine : IStateMachine<ulong>
{
    private readonly Lock _gate = new();
    private readonly HashSet<ulong> _ids = [];
    private ulong _hash = 14695981039346656037UL;
    private ulong _count;
    private ulong _lastIndex;
    private int _membershipChanges;

    public Func<Entry, bool>? ThrowOn { get; set; }

    private volatile bool _refuseSnapshots;

    /// <summary>Refuses every snapshot in <see cref="ValidateSnapshot"/>, as if its data could not be restored.</summary>
    public bool RefuseSnapshots
    {
        get => _refuseSnapshots;
        set => _refuseSnapshots = value;
    }

    /// <summary>Bytes before the ids in a snapshot: hash, count, last index (8 bytes each) and the id count (4).</summary>
    private const int SnapshotHeaderSize = 28;

    /// <summary>Checks the layout <see cref="SaveSnapshot"/> writes: the header, then exactly as many ids as it announces.</summary>
    public SnapshotValidationResult ValidateSnapshot(ReadOnlyMemory<byte> data)
    {
        if (RefuseSnapshots)
        {
            return SnapshotValidationResult.Fail("this state machine refuses snapshots");
        }
        if (data.IsEmpty)
        {
            return SnapshotValidationResult.Success;
        }
        if (data.Length < SnapshotHeaderSize)
        {
            return SnapshotValidationResult.Fail($"{data.Length} bytes cannot hold the snapshot header");
        }
        int ids = BinaryPrimitives.ReadInt32LittleEndian(data.Span[(SnapshotHeaderSize - sizeof(int))..]);
        return ids >= 0 && data.Length == SnapshotHeaderSize + ((long)ids * sizeof(ulong))
            ? SnapshotValidationResult.Success
            : SnapshotValidationResult.Fail($"{ids} ids announced in {data.Length} bytes");
    }

    public void Apply(ReadOnlySpan<Entry> entries, Span<ulong> results)
    {
        lock (_gate)
        {
            for (int i = 0; i < entries.Length; i++)
            {
                Entry e = entries[i];
                if (ThrowOn?.Invoke(e) == true)
                {
                    throw new InvalidOperationException($"state machine refuses entry {e.Index}");
                }
                _hash = Mix(_hash, e.Index);
                foreach (byte b in e.Data.Span)
                {
                    _hash = Mix(_hash, b);
                }
                if (!e.Data.IsEmpty)
                {
                    _count++;
                    if (e.Data.Length >= sizeof(ulong))
                    {
                        _ids.Add(BinaryPrimitives.ReadUInt64LittleEndian(e.Data.Span));
                    }
                }
                _lastIndex = e.Index;
                results[i] = _count;
            }
        }
    }

    public void SaveSnapshot(Stream destination)
    {
        lock (_gate)
        {
            using var w = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(_hash);
            w.Write(_count);
            w.Write(_lastIndex);
            w.Write(_ids.Count);
            foreach (ulong id in _ids)
            {
                w.Write(id);
            }
        }
    }

    public void RestoreSnapshot(Stream source)
    {
        lock (_gate)
        {
            _ids.Clear();
            if (source.Length == 0)
            {
                _hash = 14695981039346656037UL;
                _count = 0;
                _lastIndex = 0;
                return;
            }
            using var r = new BinaryReader(source, System.Text.Encoding.UTF8, leaveOpen: true);
            _hash = r.ReadUInt64();
            _count = r.ReadUInt64();
            _lastIndex = r.ReadUInt64();
            int n = r.ReadInt32();
            for (int i = 0; i < n; i++)
            {
                _ids.Add(r.ReadUInt64());
            }
        }
    }

    public void OnMembershipChanged(ulong index, ConfState confState)
    {
        lock (_gate)
        {
            _membershipChanges++;
        }
    }

    /// <summary>Hash, count and last applied normal entry together.</summary>
    public (ulong Hash, ulong Count, ulong LastIndex) State
    {
        get
        {
            lock (_gate)
            {
                return (_hash, _count, _lastIndex);
            }
        }
    }

    public int MembershipChanges
    {
        get
        {
            lock (_gate)
            {
                return _membershipChanges;
            }
        }
    }

    public bool Contains(ulong id)
    {
        lock (_gate)
        {
            return _ids.Contains(id);
        }
    }

    public int IdCount
    {
        get
        {
            lock (_gate)
            {
                return _ids.Count;
            }
        }
    }

    public static byte[] Payload(ulong id, int size = 16)
    {
        byte[] p = new byte[Math.Max(size, sizeof(ulong))];
        BinaryPrimitives.WriteUInt64LittleEndian(p, id);
        p[^1] = (byte)id;
        return p;
    }

    private static ulong Mix(ulong h, ulong v) => (h ^ v) * 1099511628211UL;
}
