namespace FastRaft.Sample.Matching;

/// <summary>One fill: an incoming (taker) order met a resting (maker) order at the maker's price.</summary>
public readonly record struct Trade(
    int Instrument,
    ulong TakerOrderId,
    ulong TakerClientId,
    ulong MakerOrderId,
    ulong MakerClientId,
    Side TakerSide,
    long Price,
    long Quantity);

/// <summary>Receives every trade as the engine makes it (on the applying thread, in log order).</summary>
public interface ITradeObserver
{
    void OnTrade(in Trade trade);
}
