namespace FastRaft.Sample.Matching;

/// <summary>
/// One side of a book: its price levels sorted so the best is last (highest bid, lowest ask),
/// which makes taking the best level and removing it when emptied O(1).
/// </summary>
internal sealed class BookSide(Side side)
{
    private readonly List<PriceLevel> _levels = [];

    public Side Side { get; } = side;

    public int LevelCount => _levels.Count;

    public PriceLevel? Best => _levels.Count == 0 ? null : _levels[^1];

    /// <summary>The level <paramref name="rank"/> steps from the best (0 is the best).</summary>
    public PriceLevel LevelFromBest(int rank) => _levels[_levels.Count - 1 - rank];

    /// <summary>True when <paramref name="price"/> may trade against this side's level at <paramref name="levelPrice"/>.</summary>
    public bool Crosses(long levelPrice, long price) => Side == Side.Sell ? levelPrice <= price : levelPrice >= price;

    public PriceLevel? Find(long price)
    {
        int i = Search(price);
        return i >= 0 ? _levels[i] : null;
    }

    public PriceLevel GetOrAdd(long price, Stack<PriceLevel> pool)
    {
        int i = Search(price);
        if (i >= 0)
        {
            return _levels[i];
        }
        PriceLevel level = pool.Count > 0 ? pool.Pop() : new PriceLevel();
        level.Reset(price);
        _levels.Insert(~i, level);
        return level;
    }

    public void Remove(PriceLevel level, Stack<PriceLevel> pool)
    {
        if (_levels.Count > 0 && ReferenceEquals(_levels[^1], level))
        {
            _levels.RemoveAt(_levels.Count - 1);
        }
        else
        {
            int i = Search(level.Price);
            if (i < 0)
            {
                return;
            }
            _levels.RemoveAt(i);
        }
        pool.Push(level);
    }

    public void Clear(Stack<PriceLevel> pool)
    {
        foreach (PriceLevel level in _levels)
        {
            pool.Push(level);
        }
        _levels.Clear();
    }

    /// <summary>Binary search by sort key: the index found, or the complement of where it goes.</summary>
    private int Search(long price)
    {
        long key = Key(price);
        int lo = 0, hi = _levels.Count - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            long k = Key(_levels[mid].Price);
            if (k == key)
            {
                return mid;
            }
            if (k < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return ~lo;
    }

    // Bids ascend by price (best = highest, last); asks descend (best = lowest, last).
    private long Key(long price) => Side == Side.Buy ? price : -price;
}
