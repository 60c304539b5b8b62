namespace FastRaft.Sample.Matching;

/// <summary>
/// One instruction to the engine. Every command carries its client's id and a sequence number
/// (starting at 1, increasing per client): the engine applies each (client, sequence) at most
/// once, so a client may resend a command whose answer it did not get.
/// </summary>
/// <param name="Kind">Place or cancel.</param>
/// <param name="ClientId">The sending client (non-zero).</param>
/// <param name="Sequence">The client's sequence number for this command (from 1).</param>
/// <param name="Instrument">The instrument's id.</param>
/// <param name="Side">Buy or sell (place only).</param>
/// <param name="Type">Limit or market (place only).</param>
/// <param name="Price">Limit price in ticks (limit only; 0 for market and cancel).</param>
/// <param name="Quantity">Quantity to trade (place only).</param>
/// <param name="OrderId">The order to cancel (cancel only).</param>
public readonly record struct OrderCommand(
    CommandKind Kind,
    ulong ClientId,
    ulong Sequence,
    int Instrument,
    Side Side,
    OrderType Type,
    long Price,
    long Quantity,
    ulong OrderId)
{
    public static OrderCommand Limit(ulong clientId, ulong sequence, int instrument, Side side, long price, long quantity) =>
        new(CommandKind.Place, clientId, sequence, instrument, side, OrderType.Limit, price, quantity, 0);

    public static OrderCommand Market(ulong clientId, ulong sequence, int instrument, Side side, long quantity) =>
        new(CommandKind.Place, clientId, sequence, instrument, side, OrderType.Market, 0, quantity, 0);

    public static OrderCommand Cancel(ulong clientId, ulong sequence, int instrument, ulong orderId) =>
        new(CommandKind.Cancel, clientId, sequence, instrument, 0, 0, 0, 0, orderId);
}
