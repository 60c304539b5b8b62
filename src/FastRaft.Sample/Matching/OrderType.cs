namespace FastRaft.Sample.Matching;

/// <summary>How an order is priced.</summary>
public enum OrderType : byte
{
    /// <summary>Trades at its limit price or better; the rest waits on the book.</summary>
    Limit = 1,

    /// <summary>Trades against whatever the book offers; the rest is cancelled (never rests).</summary>
    Market = 2,
}
