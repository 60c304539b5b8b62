namespace FastRaft.Protocol;

/// <summary>What an entry's payload holds. Numbering matches etcd's raftpb.</summary>
public enum EntryType
{
    /// <summary>An application command (or an empty entry appended by a new leader).</summary>
    EntryNormal = 0,
    /// <summary>An encoded v1 <see cref="ConfChange"/>.</summary>
    EntryConfChange = 1,
    /// <summary>An encoded <see cref="ConfChangeV2"/>.</summary>
    EntryConfChangeV2 = 2,
}
