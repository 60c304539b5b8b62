namespace FastRaft.Sample.Matching;

/// <summary>
/// One instrument's book with price-time priority: an incoming order trades against the best
/// opposite price first and, at one price, against the oldest order first; each trade is at the
/// resting (maker) order's price.
/// </summary>
internal sealed class OrderBook
{
    private readonly OrderStore _orders;
    private readonly Stack<PriceLevel> _levelPool;

    public OrderBook(Instrument instrument, OrderStore orders, Stack<PriceLevel> levelPool)
    {
        Instrument = instrument;
        _orders = orders;
        _levelPool = levelPool;
    }

    public Instrument Instrument { get; }

    public BookSide Bids { get; } = new(Side.Buy);

    public BookSide Asks { get; } = new(Side.Sell);

    public BookSide SideOf(Side side) => side == Side.Buy ? Bids : Asks;

    /// <summary>
    /// Trades an incoming order against the opposite side while it crosses (a market order
    /// crosses everything). Returns the quantity left; counts trades in <paramref name="trades"/>.
    /// </summary>
    public long Match(ulong orderId, ulong clientId, Side side, bool isMarket, long price, long quantity, ref EngineStatistics stats, ITradeObserver? observer, out int trades)
    {
        trades = 0;
        BookSide opposite = side == Side.Buy ? Asks : Bids;
        long remaining = quantity;
        while (remaining > 0 && opposite.Best is PriceLevel best && (isMarket || opposite.Crosses(best.Price, price)))
        {
            int slot = best.Head;
            ref RestingOrder maker = ref _orders[slot];
            long filled = Math.Min(remaining, maker.Remaining);
            maker.Remaining -= filled;
            best.Quantity -= filled;
            remaining -= filled;
            trades++;
            stats.Trades++;
            stats.Volume += filled;
            observer?.OnTrade(new Trade(Instrument.Id, orderId, clientId, maker.OrderId, maker.ClientId, side, best.Price, filled));
            if (maker.Remaining == 0)
            {
                RemoveOrder(opposite, best, slot);
            }
        }
        return remaining;
    }

    /// <summary>Puts an order (its open quantity) at the back of its price level.</summary>
    public bool Rest(in RestingOrder order)
    {
        if (!_orders.TryAdd(order, out int slot))
        {
            return false;
        }
        SideOf(order.Side).GetOrAdd(order.Price, _levelPool).Append(_orders, slot);
        return true;
    }

    /// <summary>Removes the resting order in <paramref name="slot"/> from this book; returns its open quantity.</summary>
    public long Cancel(int slot)
    {
        ref RestingOrder order = ref _orders[slot];
        long open = order.Remaining;
        BookSide side = SideOf(order.Side);
        PriceLevel? level = side.Find(order.Price);
        if (level is not null)
        {
            RemoveOrder(side, level, slot);
        }
        return open;
    }

    public void Clear()
    {
        Bids.Clear(_levelPool);
        Asks.Clear(_levelPool);
    }

    private void RemoveOrder(BookSide side, PriceLevel level, int slot)
    {
        level.Unlink(_orders, slot);
        _orders.Remove(slot);
        if (level.IsEmpty)
        {
            side.Remove(level, _levelPool);
        }
    }
}
