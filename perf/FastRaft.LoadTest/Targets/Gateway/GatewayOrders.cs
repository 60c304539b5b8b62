using FastRaft.Sample.Matching;
using FastRaft.Sample.Workload;

namespace FastRaft.LoadTest.Targets.Gateway;

/// <summary>
/// The orders the gateway scenario sends: valid limit orders in buy/sell pairs. A client's odd
/// sequence numbers buy a little above an instrument's reference price and the next even one
/// sells a little below it on the same instrument, so every sell crosses any resting buy and the
/// books stay shallow however long the run (a book only holds the buys whose sells are still on
/// their way). Instruments rotate per pair and differ between clients, spreading the load over
/// every book.
/// </summary>
public static class GatewayOrders
{
    /// <summary>The quantity of every order (equal on both sides, so a pair fills completely).</summary>
    public const long Quantity = 10;

    /// <summary>Ticks above (buy) or below (sell) the reference price.</summary>
    public const long PriceOffset = 2;

    /// <summary>The order with sequence number <paramref name="sequence"/> (from 1) of <paramref name="clientId"/>, over <paramref name="instruments"/>.</summary>
    public static OrderCommand For(ulong clientId, ulong sequence, IReadOnlyList<Instrument> instruments)
    {
        ulong pair = (sequence - 1) >> 1;
        int index = (int)((clientId + pair) % (ulong)instruments.Count);
        long reference = OrderFlow.ReferencePrice(index);
        return (sequence & 1) == 1
            ? OrderCommand.Limit(clientId, sequence, instruments[index].Id, Side.Buy, reference + PriceOffset, Quantity)
            : OrderCommand.Limit(clientId, sequence, instruments[index].Id, Side.Sell, reference - PriceOffset, Quantity);
    }
}
