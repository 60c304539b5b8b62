namespace FastRaft.Protocol;

/// <summary>
/// What an entry's payload holds. Numbering matches etcd's raftpb;
/// <see cref="Diagnostics.Describe.EtcdName(EntryType)"/> gives etcd's name (<c>EntryNormal</c> for <see cref="Normal"/>).
/// </summary>
public enum EntryType
{
    /// <summary>An application command (or an empty entry appended by a new leader).</summary>
    Normal = 0,
    /// <summary>An encoded v1 <see cref="Protocol.ConfChange"/>.</summary>
    ConfChange = 1,
    /// <summary>An encoded <see cref="Protocol.ConfChangeV2"/>.</summary>
    ConfChangeV2 = 2,
}
