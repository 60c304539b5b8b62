namespace FastRaft.Sample.Matching;

/// <summary>
/// What applying one command produced. Deterministic: every replica computes the same result for
/// the same log entry.
/// </summary>
/// <param name="Code">How the command was handled.</param>
/// <param name="Reason">Why it was rejected (<see cref="ResultCode.Rejected"/> only).</param>
/// <param name="OrderId">The order placed or cancelled (0 when none).</param>
/// <param name="Filled">Quantity traded by the order when it was placed.</param>
/// <param name="Resting">Quantity left on the book (limit orders).</param>
/// <param name="Cancelled">Quantity removed without trading: a market order's unfilled rest, or a cancelled order's open quantity.</param>
/// <param name="Trades">Trades the order made when placed.</param>
/// <param name="Duplicate">True when this is the stored answer to a command applied earlier (a resend), not a new effect.</param>
public readonly record struct CommandResult(
    ResultCode Code,
    RejectReason Reason,
    ulong OrderId,
    long Filled,
    long Resting,
    long Cancelled,
    int Trades,
    bool Duplicate)
{
    public bool IsRejected => Code == ResultCode.Rejected;

    public static CommandResult Rejected(RejectReason reason) => new(ResultCode.Rejected, reason, 0, 0, 0, 0, 0, false);

    public static CommandResult Stale => new(ResultCode.Stale, RejectReason.None, 0, 0, 0, 0, 0, false);

    public override string ToString() => Code switch
    {
        ResultCode.Accepted => $"accepted order {OrderId}: filled {Filled} in {Trades} trades, resting {Resting}, cancelled {Cancelled}{(Duplicate ? " (duplicate)" : "")}",
        ResultCode.Cancelled => $"cancelled order {OrderId}: {Cancelled} removed{(Duplicate ? " (duplicate)" : "")}",
        ResultCode.Rejected => $"rejected: {Reason}{(Duplicate ? " (duplicate)" : "")}",
        ResultCode.Stale => "stale: an older sequence number than the client's last command",
        _ => "no-op",
    };
}
