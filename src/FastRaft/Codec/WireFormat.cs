namespace FastRaft.Codec;

/// <summary>
/// The constants of the Raft message wire format (see WIRE-FORMAT.md) and the sizes of the
/// MessagePack encodings the writer picks (always the shortest).
/// </summary>
internal static class WireFormat
{
    /// <summary>The format version of a message without a group id (GroupId 0). A new field means a new version.</summary>
    public const ulong Version = 1;

    /// <summary>The format version of a message of a Raft group (GroupId non-zero): version 1 with the group id after the version.</summary>
    public const ulong GroupVersion = 2;

    /// <summary>Version 1: [version, type, to, from, term, log_term, index, commit, vote, reject, reject_hint, context, entries, snapshot]</summary>
    public const int MessageArity = 14;

    /// <summary>Version 2: [version, group_id, type, to, ... as version 1]</summary>
    public const int GroupMessageArity = 15;

    /// <summary>[term, index, type, data]</summary>
    public const int EntryArity = 4;

    /// <summary>[index, term, conf_state, data]</summary>
    public const int SnapshotArity = 4;

    /// <summary>[voters, learners, voters_outgoing, learners_next, auto_leave]</summary>
    public const int ConfStateArity = 5;

    /// <summary>
    /// The smallest encoded entry: fixarray, three fixints and an empty bin8. Bounds how many
    /// entries a message of a given length can declare.
    /// </summary>
    public const int MinEntrySize = 1 + 1 + 1 + 1 + 2;

    /// <summary>The smallest encoded node id (a positive fixint).</summary>
    public const int MinIdSize = 1;

    public static int UIntSize(ulong v) => v switch
    {
        <= 0x7F => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        <= uint.MaxValue => 5,
        _ => 9,
    };

    public static int ArrayHeaderSize(int count) => count switch
    {
        <= 15 => 1,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    /// <summary>Header plus bytes of a binary string.</summary>
    public static long BinSize(int length) => length switch
    {
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    } + (long)length;
}
