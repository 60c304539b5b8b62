using FastRaft.Sample.Matching;

namespace FastRaft.Sample.Workload;

/// <summary>
/// A reproducible stream of commands for one client: mostly limit orders around each
/// instrument's reference price (buyers and sellers overlap, so many cross), some market orders,
/// cancels of the client's own resting orders, and a rare deliberately invalid order. The flow
/// remembers which of its orders rest (from the results it is shown) and cancels the oldest when
/// it has <see cref="MaxResting"/> of them, so the books stay bounded however long it runs.
/// </summary>
public sealed class OrderFlow
{
    /// <summary>Resting orders one flow keeps before it cancels instead of placing.</summary>
    public const int MaxResting = 16;

    private readonly Random _random;
    private readonly IReadOnlyList<Instrument> _instruments;
    private readonly Queue<(ulong OrderId, int Instrument)> _resting = new();

    public OrderFlow(IReadOnlyList<Instrument> instruments, int seed)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        if (instruments.Count == 0)
        {
            throw new ArgumentException("at least one instrument is needed", nameof(instruments));
        }
        _instruments = instruments;
        _random = new Random(seed);
    }

    /// <summary>One command in this many is invalid on purpose (0: never).</summary>
    public int InvalidEvery { get; init; } = 500;

    /// <summary>The instruments' reference price: 10,000 ticks for the first, +2,500 for each next.</summary>
    public static long ReferencePrice(int instrumentIndex) => 10_000 + 2_500L * instrumentIndex;

    /// <summary>The next command for <paramref name="clientId"/> with sequence number <paramref name="sequence"/>.</summary>
    public OrderCommand Next(ulong clientId, ulong sequence)
    {
        int roll = _random.Next(1000);
        if (InvalidEvery > 0 && _random.Next(InvalidEvery) == 0)
        {
            return Invalid(clientId, sequence);
        }
        if (_resting.Count >= MaxResting || (roll < 100 && _resting.Count > 0))
        {
            (ulong orderId, int instrument) = _resting.Dequeue();
            return OrderCommand.Cancel(clientId, sequence, instrument, orderId);
        }
        int index = _random.Next(_instruments.Count);
        int id = _instruments[index].Id;
        Side side = _random.Next(2) == 0 ? Side.Buy : Side.Sell;
        long quantity = 1 + _random.Next(100);
        if (roll < 250)
        {
            return OrderCommand.Market(clientId, sequence, id, side, quantity);
        }
        long reference = ReferencePrice(index);
        // Buyers bid from 8 below to 3 above the reference, sellers ask from 3 below to 8 above.
        long price = side == Side.Buy ? reference + _random.Next(-8, 4) : reference + _random.Next(-3, 9);
        return OrderCommand.Limit(clientId, sequence, id, side, price, quantity);
    }

    /// <summary>Learns from a command's result which of this flow's orders rest (to cancel them later).</summary>
    public void Observe(in OrderCommand command, in CommandResult result)
    {
        if (result.Code == ResultCode.Accepted && result.Resting > 0)
        {
            _resting.Enqueue((result.OrderId, command.Instrument));
        }
    }

    private OrderCommand Invalid(ulong clientId, ulong sequence) => _random.Next(3) switch
    {
        0 => OrderCommand.Limit(clientId, sequence, 999, Side.Buy, 100, 1),
        1 => OrderCommand.Limit(clientId, sequence, _instruments[0].Id, Side.Sell, 100, -5),
        _ => OrderCommand.Limit(clientId, sequence, _instruments[0].Id, Side.Buy, 0, 10),
    };
}
