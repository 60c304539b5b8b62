namespace FastRaft.Protocol;

/// <summary>The state a node must persist before sending messages: term, vote and commit index.</summary>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    /// <summary>The zero state: term 0, no vote, nothing committed (a node that never ran).</summary>
    public static readonly HardState Empty;

    /// <summary>Whether this is <see cref="Empty"/>, i.e. there is nothing to persist.</summary>
    public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;
}
