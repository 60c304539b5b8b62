namespace FastRaft.Protocol;

/// <summary>What an entry's payload holds. Numbering matches etcd's raftpb.</summary>
public enum EntryType
{
    EntryNormal = 0,
    EntryConfChange = 1,
    EntryConfChangeV2 = 2,
}
