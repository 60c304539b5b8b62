namespace FastRaft.Sample.Matching;

/// <summary>Counts of what an engine applied; part of its replicated state (snapshotted and hashed).</summary>
public struct EngineStatistics
{
    /// <summary>Commands applied, whatever their result (duplicates, stale and garbage included).</summary>
    public long Commands;

    /// <summary>Orders placed (limit and market).</summary>
    public long OrdersAccepted;

    /// <summary>Resting orders cancelled on request.</summary>
    public long Cancels;

    /// <summary>Commands rejected (invalid fields, unknown orders, garbage bytes).</summary>
    public long Rejected;

    /// <summary>Resends of the client's last command, answered from the stored result.</summary>
    public long Duplicates;

    /// <summary>Commands older than the client's last one, ignored.</summary>
    public long Stale;

    /// <summary>Trades made.</summary>
    public long Trades;

    /// <summary>Quantity traded, summed over trades.</summary>
    public long Volume;
}
