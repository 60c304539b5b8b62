namespace FastRaft.Sample.Matching;

/// <summary>Which side of the book an order is on.</summary>
public enum Side : byte
{
    Buy = 1,
    Sell = 2,
}
