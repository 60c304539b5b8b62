namespace FastRaft.Sample.Matching;

/// <summary>
/// A deterministic order-matching engine for several instruments: limit and market orders,
/// cancels, price-time priority, trades at the resting order's price. Each command carries a
/// client id and sequence number; a command is applied once, and a resend of a client's last
/// command gets the stored answer (so clients can retry across Raft leader changes without
/// duplicating orders). Invalid commands and garbage bytes are rejected with a reason, never
/// thrown. Not thread-safe: one thread applies (wrap it, as <see cref="MatchingStateMachine"/> does,
/// to read from others). The whole state snapshots to canonical bytes, so equal states hash equal.
/// </summary>
public sealed partial class MatchingEngine
{
    /// <summary>The largest quantity one order may have.</summary>
    public const long MaxQuantity = 1_000_000_000;

    /// <summary>The largest limit price, in ticks.</summary>
    public const long MaxPrice = 1_000_000_000_000;

    private readonly OrderBook[] _books;
    private readonly Dictionary<int, OrderBook> _bookById = [];
    private readonly OrderStore _orders = new();
    private readonly Stack<PriceLevel> _levelPool = new();
    private readonly Dictionary<ulong, ClientSlot> _clients = [];
    private ulong _nextOrderId = 1;
    private EngineStatistics _stats;

    /// <summary>An empty engine trading <paramref name="instruments"/> (distinct positive ids).</summary>
    /// <param name="instruments">The instruments; snapshots only restore into an engine with the same ones.</param>
    /// <param name="observer">Optional: told of every trade.</param>
    public MatchingEngine(IEnumerable<Instrument> instruments, ITradeObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        var sorted = new List<Instrument>(instruments);
        sorted.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        if (sorted.Count == 0)
        {
            throw new ArgumentException("at least one instrument is needed", nameof(instruments));
        }
        _books = new OrderBook[sorted.Count];
        for (int i = 0; i < sorted.Count; i++)
        {
            Instrument instrument = sorted[i] ?? throw new ArgumentException("null instrument", nameof(instruments));
            if (instrument.Id <= 0 || !_bookById.TryAdd(instrument.Id, _books[i] = new OrderBook(instrument, _orders, _levelPool)))
            {
                throw new ArgumentException($"instrument ids must be positive and distinct ({instrument.Id})", nameof(instruments));
            }
        }
        Instruments = sorted.AsReadOnly();
        Observer = observer;
    }

    /// <summary>The instruments traded, by id.</summary>
    public IReadOnlyList<Instrument> Instruments { get; }

    /// <summary>Told of every trade (on the applying thread); may be changed between commands.</summary>
    public ITradeObserver? Observer { get; set; }

    public EngineStatistics Statistics => _stats;

    /// <summary>Orders resting on all books.</summary>
    public int RestingOrders => _orders.Count;

    /// <summary>Clients the engine remembers.</summary>
    public int ClientCount => _clients.Count;

    /// <summary>Decodes and executes one encoded command; bytes that are not a command are rejected as <see cref="RejectReason.Malformed"/>.</summary>
    public CommandResult Apply(ReadOnlyMemory<byte> encodedCommand)
    {
        if (!CommandCodec.TryDecode(encodedCommand, out OrderCommand command))
        {
            _stats.Commands++;
            _stats.Rejected++;
            return CommandResult.Rejected(RejectReason.Malformed);
        }
        return Execute(command);
    }

    /// <summary>Executes one command (at most once per client and sequence number).</summary>
    public CommandResult Execute(in OrderCommand command)
    {
        _stats.Commands++;
        if (command.ClientId == 0 || command.Sequence == 0)
        {
            _stats.Rejected++;
            return CommandResult.Rejected(command.ClientId == 0 ? RejectReason.InvalidClient : RejectReason.InvalidSequence);
        }
        if (!_clients.TryGetValue(command.ClientId, out ClientSlot? client))
        {
            client = new ClientSlot();
            _clients.Add(command.ClientId, client);
        }
        else if (command.Sequence <= client.LastSequence)
        {
            if (command.Sequence == client.LastSequence)
            {
                _stats.Duplicates++;
                return client.LastResult with { Duplicate = true };
            }
            _stats.Stale++;
            return CommandResult.Stale;
        }
        CommandResult result = command.Kind switch
        {
            CommandKind.Place => Place(command),
            CommandKind.Cancel => Cancel(command),
            _ => CommandResult.Rejected(RejectReason.UnknownCommand),
        };
        if (result.IsRejected)
        {
            _stats.Rejected++;
        }
        client.LastSequence = command.Sequence;
        client.LastResult = result;
        client.Applied++;
        return result;
    }

    /// <summary>What the engine remembers of <paramref name="clientId"/>, if anything.</summary>
    public bool TryGetClient(ulong clientId, out ClientRecord record)
    {
        if (_clients.TryGetValue(clientId, out ClientSlot? c))
        {
            record = new ClientRecord(clientId, c.LastSequence, c.Applied, c.LastResult);
            return true;
        }
        record = default;
        return false;
    }

    /// <summary>The best price on one side of an instrument's book and the quantity resting there.</summary>
    public bool TryGetBest(int instrument, Side side, out long price, out long quantity)
    {
        price = quantity = 0;
        if (!_bookById.TryGetValue(instrument, out OrderBook? book) || side is not (Side.Buy or Side.Sell)
            || book.SideOf(side).Best is not PriceLevel best)
        {
            return false;
        }
        price = best.Price;
        quantity = best.Quantity;
        return true;
    }

    /// <summary>Up to <paramref name="destination"/>.Length levels of one side, best first: (price, quantity, orders).</summary>
    public int GetDepth(int instrument, Side side, Span<(long Price, long Quantity, int Orders)> destination)
    {
        if (!_bookById.TryGetValue(instrument, out OrderBook? book) || side is not (Side.Buy or Side.Sell))
        {
            return 0;
        }
        BookSide s = book.SideOf(side);
        int n = Math.Min(destination.Length, s.LevelCount);
        for (int i = 0; i < n; i++)
        {
            PriceLevel level = s.LevelFromBest(i);
            destination[i] = (level.Price, level.Quantity, level.Count);
        }
        return n;
    }

    /// <summary>Empties the engine (books, clients, counters, order ids).</summary>
    public void Reset()
    {
        foreach (OrderBook book in _books)
        {
            book.Clear();
        }
        _orders.Clear();
        _clients.Clear();
        _nextOrderId = 1;
        _stats = default;
    }

    private CommandResult Place(in OrderCommand c)
    {
        if (!_bookById.TryGetValue(c.Instrument, out OrderBook? book))
        {
            return CommandResult.Rejected(RejectReason.UnknownInstrument);
        }
        RejectReason invalid = Validate(c);
        if (invalid != RejectReason.None)
        {
            return CommandResult.Rejected(invalid);
        }
        ulong orderId = _nextOrderId++;
        bool isMarket = c.Type == OrderType.Market;
        long left = book.Match(orderId, c.ClientId, c.Side, isMarket, c.Price, c.Quantity, ref _stats, Observer, out int trades);
        _stats.OrdersAccepted++;
        long resting = 0, cancelled = 0;
        if (left > 0 && !isMarket)
        {
            var order = new RestingOrder
            {
                OrderId = orderId,
                ClientId = c.ClientId,
                Price = c.Price,
                Remaining = left,
                Instrument = c.Instrument,
                Side = c.Side,
            };
            book.Rest(order);
            resting = left;
        }
        else
        {
            cancelled = left;
        }
        return new CommandResult(ResultCode.Accepted, RejectReason.None, orderId, c.Quantity - left, resting, cancelled, trades, false);
    }

    private static RejectReason Validate(in OrderCommand c)
    {
        if (c.Side is not (Side.Buy or Side.Sell))
        {
            return RejectReason.InvalidSide;
        }
        if (c.Type is not (OrderType.Limit or OrderType.Market))
        {
            return RejectReason.InvalidOrderType;
        }
        if (c.Quantity is <= 0 or > MaxQuantity)
        {
            return RejectReason.InvalidQuantity;
        }
        bool priceOk = c.Type == OrderType.Market ? c.Price == 0 : c.Price is > 0 and <= MaxPrice;
        return priceOk ? RejectReason.None : RejectReason.InvalidPrice;
    }

    private CommandResult Cancel(in OrderCommand c)
    {
        if (!_bookById.TryGetValue(c.Instrument, out OrderBook? book))
        {
            return CommandResult.Rejected(RejectReason.UnknownInstrument);
        }
        if (!_orders.TryFind(c.OrderId, out int slot) || _orders[slot].Instrument != c.Instrument)
        {
            return CommandResult.Rejected(RejectReason.UnknownOrder);
        }
        if (_orders[slot].ClientId != c.ClientId)
        {
            return CommandResult.Rejected(RejectReason.NotOwner);
        }
        long open = book.Cancel(slot);
        _stats.Cancels++;
        return new CommandResult(ResultCode.Cancelled, RejectReason.None, c.OrderId, 0, 0, open, 0, false);
    }

    private sealed class ClientSlot
    {
        public ulong LastSequence;
        public long Applied;
        public CommandResult LastResult;
    }
}
