using FastRaft.Sample.Matching;

namespace FastRaft.Tests.Sample;

public class MatchingEngineTests
{
    internal static readonly Instrument[] Instruments = [new(1, "ACME"), new(2, "GLOBEX")];

    private readonly MatchingEngine _engine = new(Instruments);
    private readonly Dictionary<ulong, ulong> _sequences = [];

    private ulong Next(ulong client) => _sequences[client] = _sequences.GetValueOrDefault(client) + 1;

    private CommandResult Limit(ulong client, Side side, long price, long quantity, int instrument = 1) =>
        _engine.Execute(OrderCommand.Limit(client, Next(client), instrument, side, price, quantity));

    private CommandResult Market(ulong client, Side side, long quantity, int instrument = 1) =>
        _engine.Execute(OrderCommand.Market(client, Next(client), instrument, side, quantity));

    private CommandResult Cancel(ulong client, ulong orderId, int instrument = 1) =>
        _engine.Execute(OrderCommand.Cancel(client, Next(client), instrument, orderId));

    [Fact]
    public void A_limit_order_that_does_not_cross_rests_on_the_book()
    {
        CommandResult r = Limit(1, Side.Buy, 100, 10);
        Assert.Equal(new CommandResult(ResultCode.Accepted, RejectReason.None, 1, 0, 10, 0, 0, false), r);
        Assert.True(_engine.TryGetBest(1, Side.Buy, out long price, out long qty));
        Assert.Equal((100, 10), (price, qty));
        Assert.False(_engine.TryGetBest(1, Side.Sell, out _, out _));
        Assert.False(_engine.TryGetBest(2, Side.Buy, out _, out _));
        Assert.Equal(1, _engine.RestingOrders);
    }

    [Fact]
    public void Better_prices_trade_first_and_each_trade_is_at_the_resting_price()
    {
        var trades = new TradeLog();
        _engine.Observer = trades;
        Limit(1, Side.Sell, 103, 5); // order 1
        Limit(2, Side.Sell, 101, 5); // order 2: best
        Limit(3, Side.Sell, 102, 5); // order 3
        CommandResult r = Limit(4, Side.Buy, 102, 12); // takes 101 then 102, 2 left rest at 102
        Assert.Equal(new CommandResult(ResultCode.Accepted, RejectReason.None, 4, 10, 2, 0, 2, false), r);
        Assert.Equal([(2ul, 101L, 5L), (3ul, 102L, 5L)], trades.Trades.Select(t => (t.MakerOrderId, t.Price, t.Quantity)));
        Assert.All(trades.Trades, t => Assert.Equal((4ul, 4ul, Side.Buy), (t.TakerOrderId, t.TakerClientId, t.TakerSide)));
        Assert.True(_engine.TryGetBest(1, Side.Buy, out long bid, out long bidQty));
        Assert.Equal((102, 2), (bid, bidQty));
        Assert.True(_engine.TryGetBest(1, Side.Sell, out long ask, out long askQty));
        Assert.Equal((103, 5), (ask, askQty));
    }

    [Fact]
    public void At_one_price_the_oldest_order_trades_first()
    {
        var trades = new TradeLog();
        _engine.Observer = trades;
        Limit(1, Side.Buy, 100, 3); // order 1
        Limit(2, Side.Buy, 100, 3); // order 2
        Limit(3, Side.Buy, 100, 3); // order 3
        CommandResult r = Limit(4, Side.Sell, 100, 7);
        Assert.Equal((7L, 0L, 3), (r.Filled, r.Resting, r.Trades));
        Assert.Equal([(1ul, 3L), (2ul, 3L), (3ul, 1L)], trades.Trades.Select(t => (t.MakerOrderId, t.Quantity)));
        Assert.True(_engine.TryGetBest(1, Side.Buy, out _, out long left));
        Assert.Equal(2, left);
    }

    [Fact]
    public void A_partially_filled_resting_order_keeps_its_place_in_the_queue()
    {
        Limit(1, Side.Sell, 100, 10); // order 1
        Limit(2, Side.Sell, 100, 10); // order 2
        Assert.Equal(4, Limit(3, Side.Buy, 100, 4).Filled); // order 1 now 6
        var trades = new TradeLog();
        _engine.Observer = trades;
        Limit(3, Side.Buy, 100, 8);
        Assert.Equal([(1ul, 6L), (2ul, 2L)], trades.Trades.Select(t => (t.MakerOrderId, t.Quantity)));
    }

    [Fact]
    public void A_limit_order_does_not_trade_through_its_price()
    {
        Limit(1, Side.Sell, 105, 10);
        CommandResult r = Limit(2, Side.Buy, 104, 10);
        Assert.Equal((0L, 10L, 0), (r.Filled, r.Resting, r.Trades));
        Span<(long, long, int)> depth = stackalloc (long, long, int)[4];
        Assert.Equal(1, _engine.GetDepth(1, Side.Sell, depth));
        Assert.Equal((105L, 10L, 1), depth[0]);
    }

    [Fact]
    public void A_market_order_sweeps_levels_and_cancels_what_it_cannot_fill()
    {
        Limit(1, Side.Buy, 99, 5);
        Limit(1, Side.Buy, 98, 5);
        Limit(1, Side.Buy, 100, 5);
        CommandResult r = Market(2, Side.Sell, 20);
        Assert.Equal(new CommandResult(ResultCode.Accepted, RejectReason.None, 4, 15, 0, 5, 3, false), r);
        Assert.Equal(0, _engine.RestingOrders);
        CommandResult none = Market(2, Side.Buy, 3);
        Assert.Equal((0L, 0L, 3L, 0), (none.Filled, none.Resting, none.Cancelled, none.Trades));
        Assert.Equal(0, _engine.RestingOrders);
    }

    [Fact]
    public void A_cancel_removes_the_order_and_only_its_owner_may_cancel()
    {
        ulong id = Limit(1, Side.Buy, 100, 10).OrderId;
        Limit(1, Side.Buy, 100, 7);
        Assert.Equal(RejectReason.NotOwner, Cancel(2, id).Reason);
        Assert.Equal(RejectReason.UnknownOrder, Cancel(1, id, instrument: 2).Reason);
        Assert.Equal(new CommandResult(ResultCode.Cancelled, RejectReason.None, id, 0, 0, 10, 0, false), Cancel(1, id));
        Assert.True(_engine.TryGetBest(1, Side.Buy, out _, out long qty));
        Assert.Equal(7, qty);
        Assert.Equal(RejectReason.UnknownOrder, Cancel(1, id).Reason);
        Assert.Equal(RejectReason.UnknownOrder, Cancel(1, 999).Reason);
        Assert.Equal(1, _engine.Statistics.Cancels);
    }

    [Fact]
    public void Cancelling_the_last_order_of_a_level_behind_the_best_removes_the_level()
    {
        Limit(1, Side.Sell, 101, 1);
        ulong middle = Limit(1, Side.Sell, 102, 1).OrderId;
        Limit(1, Side.Sell, 103, 1);
        Cancel(1, middle);
        Span<(long Price, long, int)> depth = stackalloc (long, long, int)[4];
        Assert.Equal(2, _engine.GetDepth(1, Side.Sell, depth));
        Assert.Equal((101L, 103L), (depth[0].Price, depth[1].Price));
    }

    [Fact]
    public void Filled_orders_cannot_be_cancelled()
    {
        ulong id = Limit(1, Side.Sell, 100, 5).OrderId;
        Market(2, Side.Buy, 5);
        Assert.Equal(RejectReason.UnknownOrder, Cancel(1, id).Reason);
    }

    [Theory]
    [InlineData(0UL, 1UL, 1, Side.Buy, OrderType.Limit, 100L, 1L, RejectReason.InvalidClient)]
    [InlineData(1UL, 0UL, 1, Side.Buy, OrderType.Limit, 100L, 1L, RejectReason.InvalidSequence)]
    [InlineData(1UL, 1UL, 9, Side.Buy, OrderType.Limit, 100L, 1L, RejectReason.UnknownInstrument)]
    [InlineData(1UL, 1UL, -1, Side.Buy, OrderType.Limit, 100L, 1L, RejectReason.UnknownInstrument)]
    [InlineData(1UL, 1UL, 1, (Side)0, OrderType.Limit, 100L, 1L, RejectReason.InvalidSide)]
    [InlineData(1UL, 1UL, 1, (Side)3, OrderType.Limit, 100L, 1L, RejectReason.InvalidSide)]
    [InlineData(1UL, 1UL, 1, Side.Sell, (OrderType)9, 100L, 1L, RejectReason.InvalidOrderType)]
    [InlineData(1UL, 1UL, 1, Side.Sell, OrderType.Limit, 100L, 0L, RejectReason.InvalidQuantity)]
    [InlineData(1UL, 1UL, 1, Side.Sell, OrderType.Limit, 100L, -5L, RejectReason.InvalidQuantity)]
    [InlineData(1UL, 1UL, 1, Side.Sell, OrderType.Limit, 100L, MatchingEngine.MaxQuantity + 1, RejectReason.InvalidQuantity)]
    [InlineData(1UL, 1UL, 1, Side.Sell, OrderType.Limit, 0L, 1L, RejectReason.InvalidPrice)]
    [InlineData(1UL, 1UL, 1, Side.Sell, OrderType.Limit, -100L, 1L, RejectReason.InvalidPrice)]
    [InlineData(1UL, 1UL, 1, Side.Sell, OrderType.Limit, MatchingEngine.MaxPrice + 1, 1L, RejectReason.InvalidPrice)]
    [InlineData(1UL, 1UL, 1, Side.Sell, OrderType.Market, 100L, 1L, RejectReason.InvalidPrice)]
    public void Invalid_orders_are_rejected_with_their_reason_and_change_nothing(
        ulong client, ulong sequence, int instrument, Side side, OrderType type, long price, long quantity, RejectReason reason)
    {
        Limit(7, Side.Buy, 50, 5);
        byte[] before = _engine.ComputeStateHash();
        var command = new OrderCommand(CommandKind.Place, client, sequence, instrument, side, type, price, quantity, 0);
        CommandResult r = _engine.Execute(command);
        Assert.Equal(CommandResult.Rejected(reason), r);
        Assert.Equal(1, _engine.RestingOrders);
        Assert.Equal(1, _engine.Statistics.Rejected);
        Assert.Equal(2, _engine.Statistics.Commands);
        // The same command through the codec is rejected the same way.
        var other = new MatchingEngine(Instruments);
        Assert.Equal(r, other.Apply(CommandCodec.Encode(command)));
        Assert.NotEqual(before, _engine.ComputeStateHash()); // counters moved
    }

    [Fact]
    public void An_unknown_command_kind_is_rejected()
    {
        var command = new OrderCommand((CommandKind)9, 1, 1, 1, Side.Buy, OrderType.Limit, 100, 1, 0);
        Assert.Equal(RejectReason.UnknownCommand, _engine.Apply(CommandCodec.Encode(command)).Reason);
    }

    [Fact]
    public void A_resent_command_is_applied_once_and_answered_with_the_original_result()
    {
        Limit(1, Side.Sell, 100, 5);
        var buy = OrderCommand.Limit(2, 1, 1, Side.Buy, 100, 8);
        CommandResult first = _engine.Execute(buy);
        CommandResult again = _engine.Execute(buy);
        Assert.False(first.Duplicate);
        Assert.Equal(first with { Duplicate = true }, again);
        Assert.True(_engine.TryGetBest(1, Side.Buy, out _, out long qty));
        Assert.Equal(3, qty); // not 11
        Assert.Equal(2, _engine.Statistics.OrdersAccepted);
        Assert.Equal(1, _engine.Statistics.Duplicates);
        Assert.True(_engine.TryGetClient(2, out ClientRecord rec));
        Assert.Equal(new ClientRecord(2, 1, 1, first), rec);
    }

    [Fact]
    public void A_rejected_command_is_deduplicated_too()
    {
        var bad = OrderCommand.Limit(2, 1, 9, Side.Buy, 100, 8);
        Assert.Equal(RejectReason.UnknownInstrument, _engine.Execute(bad).Reason);
        CommandResult again = _engine.Execute(bad);
        Assert.True(again.Duplicate);
        Assert.Equal(RejectReason.UnknownInstrument, again.Reason);
        Assert.Equal(1, _engine.Statistics.Rejected);
    }

    [Fact]
    public void An_older_sequence_number_is_stale_and_ignored()
    {
        _engine.Execute(OrderCommand.Limit(2, 5, 1, Side.Buy, 100, 1));
        CommandResult old = _engine.Execute(OrderCommand.Limit(2, 4, 1, Side.Buy, 100, 1));
        Assert.Equal(ResultCode.Stale, old.Code);
        Assert.Equal(1, _engine.RestingOrders);
        // Gaps are allowed: the next command only has to be newer.
        Assert.Equal(ResultCode.Accepted, _engine.Execute(OrderCommand.Limit(2, 9, 1, Side.Buy, 100, 1)).Code);
        Assert.True(_engine.TryGetClient(2, out ClientRecord rec));
        Assert.Equal((9ul, 2L), (rec.LastSequence, rec.Applied));
        Assert.Equal(1, _engine.Statistics.Stale);
    }

    [Fact]
    public void Instruments_have_separate_books()
    {
        Limit(1, Side.Sell, 100, 5, instrument: 1);
        CommandResult r = Limit(2, Side.Buy, 100, 5, instrument: 2);
        Assert.Equal((0L, 5L), (r.Filled, r.Resting));
        Assert.Equal(RejectReason.UnknownOrder, Cancel(1, r.OrderId, instrument: 1).Reason);
    }

    [Fact]
    public void Statistics_count_orders_trades_and_volume()
    {
        Limit(1, Side.Sell, 100, 5);
        Limit(1, Side.Sell, 101, 5);
        Market(2, Side.Buy, 7);
        EngineStatistics s = _engine.Statistics;
        Assert.Equal((3L, 3L, 2L, 7L), (s.Commands, s.OrdersAccepted, s.Trades, s.Volume));
    }

    [Fact]
    public void Invalid_instrument_sets_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new MatchingEngine([]));
        Assert.Throws<ArgumentException>(() => new MatchingEngine([new(1, "A"), new(1, "B")]));
        Assert.Throws<ArgumentException>(() => new MatchingEngine([new(0, "A")]));
    }

    internal sealed class TradeLog : ITradeObserver
    {
        public List<Trade> Trades { get; } = [];

        public void OnTrade(in Trade trade) => Trades.Add(trade);
    }
}
