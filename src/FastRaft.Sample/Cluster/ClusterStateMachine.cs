using System.Buffers;
using System.Net;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Sample.Matching;
using MessagePack;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// A sample node's replicated state: the <see cref="MatchingStateMachine"/> (every normal entry)
/// plus the <see cref="MemberDirectory"/> (every configuration change, with the address a
/// run-time-added member's change carries). Snapshots hold both:
/// <c>0xC1, [1, [voter...], [learner...], [removed...], [[id, address]...]], matching engine snapshot</c>;
/// 0xC1 never starts MessagePack, so a snapshot written before the directory existed (the
/// matching engine's alone) still restores, with an empty directory.
/// </summary>
public sealed class ClusterStateMachine : IStateMachine<CommandResult>
{
    private const byte SnapshotMarker = MessagePackCode.NeverUsed;
    private const int DirectoryVersion = 1;
    private const int DirectoryFields = 5;
    private const int AddressFields = 2;

    private readonly IStorage _storage;
    private readonly EntryBuffer _changeEntry = new(1);

    /// <param name="matching">The matching engine's state machine.</param>
    /// <param name="storage">The node's storage, where an applied configuration change is read back for its context (node thread only).</param>
    public ClusterStateMachine(MatchingStateMachine matching, IStorage storage)
    {
        ArgumentNullException.ThrowIfNull(matching);
        ArgumentNullException.ThrowIfNull(storage);
        Matching = matching;
        _storage = storage;
    }

    public MatchingStateMachine Matching { get; }

    public MemberDirectory Members { get; } = new();

    /// <summary>Configuration changes whose entry could not be read back for its address (the member stays unreachable from here).</summary>
    public long UnreadChanges { get; private set; }

    public void Apply(ReadOnlySpan<Entry> entries, Span<CommandResult> results) => Matching.Apply(entries, results);

    public void OnMembershipChanged(ulong index, ConfState confState)
    {
        ArgumentNullException.ThrowIfNull(confState);
        // The host hands over the new membership, not the change: the change's context (the
        // address of an added member) is read back from the log, where it was persisted before
        // being applied.
        ulong changed = 0;
        IPEndPoint? address = null;
        _changeEntry.Clear();
        if (_storage.Entries(index, index + 1, ulong.MaxValue, _changeEntry) == StorageStatus.Ok && _changeEntry.Count == 1)
        {
            ref readonly Entry e = ref _changeEntry[0];
            if (e.Type == EntryType.ConfChange && ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange cc)
                && cc.Type is ConfChangeType.AddNode or ConfChangeType.AddLearnerNode
                && MemberAddress.TryDecode(cc.Context, out IPEndPoint decoded))
            {
                changed = cc.NodeId;
                address = decoded;
            }
        }
        else
        {
            UnreadChanges++;
        }
        _changeEntry.Clear();
        Members.Apply(confState, changed, address);
        ((IStateMachine<CommandResult>)Matching).OnMembershipChanged(index, confState);
    }

    public void SaveSnapshot(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var buffer = new ArrayBufferWriter<byte>(256);
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(DirectoryFields);
        w.Write(DirectoryVersion);
        WriteIds(ref w, Members.Voters);
        WriteIds(ref w, Members.Learners);
        WriteIds(ref w, Members.Removed);
        IReadOnlyList<KeyValuePair<ulong, IPEndPoint>> addresses = Members.Addresses;
        w.WriteArrayHeader(addresses.Count);
        foreach ((ulong id, IPEndPoint address) in addresses)
        {
            w.WriteArrayHeader(AddressFields);
            w.Write(id);
            MemberAddress.Write(ref w, address);
        }
        w.Flush();
        destination.WriteByte(SnapshotMarker);
        destination.Write(buffer.WrittenSpan);
        Matching.SaveSnapshot(destination);
    }

    public void RestoreSnapshot(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        byte[] data = copy.GetBuffer();
        int length = (int)copy.Length;
        if (length == 0 || data[0] != SnapshotMarker)
        {
            // Empty (bootstrap) or written before the directory existed: all of it is the engine's.
            Members.Reset([], [], [], []);
            copy.Position = 0;
            Matching.RestoreSnapshot(copy);
            return;
        }
        if (!TryReadDirectory(data.AsMemory(0, length), out DirectoryPart directory, out int engineStart))
        {
            throw BadSnapshot();
        }
        Matching.RestoreSnapshot(new MemoryStream(data, engineStart, length - engineStart, writable: false));
        Members.Reset(directory.Voters, directory.Learners, directory.Removed, directory.Addresses);
    }

    /// <summary>
    /// Checks a snapshot as <see cref="RestoreSnapshot"/> would read it — the member directory,
    /// then the matching engine's part in a scratch engine — without touching the live state.
    /// </summary>
    public SnapshotValidationResult ValidateSnapshot(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty || data.Span[0] != SnapshotMarker)
        {
            return Matching.ValidateSnapshot(data);
        }
        return TryReadDirectory(data, out _, out int engineStart)
            ? Matching.ValidateSnapshot(data[engineStart..])
            : SnapshotValidationResult.Fail(BadSnapshot().Message);
    }

    /// <summary>The member directory at the start of a snapshot (after its marker), and where the engine's part starts.</summary>
    private static bool TryReadDirectory(ReadOnlyMemory<byte> data, out DirectoryPart directory, out int engineStart)
    {
        directory = default;
        engineStart = 0;
        var reader = new MessagePackReader(data[1..]);
        var addresses = new List<KeyValuePair<ulong, IPEndPoint>>();
        if (!MessagePackFields.TryReadArrayHeader(ref reader, out int fields) || fields != DirectoryFields
            || !MessagePackFields.TryReadInt64(ref reader, out long version) || version != DirectoryVersion
            || !TryReadIds(ref reader, out ulong[] voters)
            || !TryReadIds(ref reader, out ulong[] learners)
            || !TryReadIds(ref reader, out ulong[] removed)
            || !MessagePackFields.TryReadArrayHeader(ref reader, out int count))
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            if (!MessagePackFields.TryReadArrayHeader(ref reader, out int n) || n != AddressFields
                || !MessagePackFields.TryReadUInt64(ref reader, out ulong id)
                || !MemberAddress.TryRead(ref reader, out IPEndPoint address))
            {
                return false;
            }
            addresses.Add(new(id, address));
        }
        directory = new DirectoryPart(voters, learners, removed, addresses);
        engineStart = 1 + (int)reader.Consumed;
        // SaveSnapshot always writes the engine's part after the directory: a snapshot that ends
        // with the directory was cut, and restoring it would leave an empty engine.
        return engineStart < data.Length;
    }

    private readonly record struct DirectoryPart(ulong[] Voters, ulong[] Learners, ulong[] Removed, List<KeyValuePair<ulong, IPEndPoint>> Addresses);

    private static InvalidDataException BadSnapshot() => new("bad sample snapshot: the member directory does not parse");

    private static void WriteIds(ref MessagePackWriter w, ulong[] ids)
    {
        w.WriteArrayHeader(ids.Length);
        foreach (ulong id in ids)
        {
            w.Write(id);
        }
    }

    private static bool TryReadIds(ref MessagePackReader reader, out ulong[] ids)
    {
        ids = [];
        if (!MessagePackFields.TryReadArrayHeader(ref reader, out int count))
        {
            return false;
        }
        var read = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            if (!MessagePackFields.TryReadUInt64(ref reader, out read[i]))
            {
                return false;
            }
        }
        ids = read;
        return true;
    }
}
