using System.Net;

namespace FastRaft.Tests.EndToEnd;

/// <summary>What a <see cref="TcpFaultNetwork"/>'s schedule did.</summary>
internal sealed record TcpFaultTally(int Resets, int Stalls, int Partitions, int BlackHoles)
{
    public int Total => Resets + Stalls + Partitions + BlackHoles;
}

/// <summary>
/// The network between TCP nodes, made of one <see cref="TcpFaultProxy"/> per directed pair
/// (node A dials node B through link A→B). Faults are applied per link or per node, and a seeded
/// schedule applies them one after another while a test loads the cluster. The order and kinds of
/// faults follow the seed; their timing is the wall clock's.
/// </summary>
internal sealed class TcpFaultNetwork : IAsyncDisposable
{
    private readonly Dictionary<(ulong From, ulong To), TcpFaultProxy> _links = [];
    private readonly ulong[] _members;

    /// <param name="listenerOf">A node's listening address now (asked for every relayed connection).</param>
    /// <param name="receiveBufferBytes">Each proxy's receive buffer (see <see cref="TcpFaultProxy"/>); null for the system's.</param>
    public TcpFaultNetwork(IReadOnlyList<ulong> members, Func<ulong, IPEndPoint> listenerOf, int? receiveBufferBytes = null)
    {
        _members = [.. members];
        try
        {
            foreach (ulong from in members)
            {
                foreach (ulong to in members)
                {
                    if (from != to)
                    {
                        _links[(from, to)] = new TcpFaultProxy($"{from}→{to}", () => listenerOf(to), receiveBufferBytes);
                    }
                }
            }
        }
        catch
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public IEnumerable<TcpFaultProxy> Links => _links.Values;

    public TcpFaultProxy Link(ulong from, ulong to) => _links[(from, to)];

    /// <summary>Every link to and from <paramref name="id"/>.</summary>
    public IEnumerable<TcpFaultProxy> LinksOf(ulong id) => _links.Where(kv => kv.Key.From == id || kv.Key.To == id).Select(kv => kv.Value);

    /// <summary>Cuts (resets and refuses) or black-holes (stalls) every link of <paramref name="id"/>.</summary>
    public void Isolate(ulong id, bool blackHole)
    {
        foreach (TcpFaultProxy link in LinksOf(id))
        {
            if (blackHole)
            {
                link.Stall();
            }
            else
            {
                link.Cut();
            }
        }
    }

    public void HealAll()
    {
        foreach (TcpFaultProxy link in _links.Values)
        {
            link.Heal();
        }
    }

    /// <summary>
    /// Applies faults one at a time for <paramref name="duration"/>, with a short calm between
    /// them, and heals everything at the end. The kinds come in rounds of four, each round in a
    /// seeded order: a reset of one link's connections, a stall of one link, a node cut off (its
    /// connections reset and refused) and a node black-holed (nothing of it delivered, its
    /// connections left open). Half of the isolations pick the node <paramref name="leader"/>
    /// names (when it names one), so the cluster also fails over while its links misbehave.
    /// </summary>
    public async Task<TcpFaultTally> RunScheduleAsync(int seed, TimeSpan duration, Func<ulong?>? leader = null)
    {
        var random = new Random(seed);
        TcpFaultProxy[] links = [.. _links.OrderBy(kv => kv.Key).Select(kv => kv.Value)];
        int[] round = [0, 1, 2, 3];
        int resets = 0, stalls = 0, partitions = 0, blackHoles = 0;
        DateTime end = DateTime.UtcNow + duration;
        try
        {
            for (int step = 0; DateTime.UtcNow < end; step++)
            {
                if (step % round.Length == 0)
                {
                    random.Shuffle(round);
                }
                switch (round[step % round.Length])
                {
                    case 0:
                        links[random.Next(links.Length)].ResetConnections();
                        resets++;
                        break;
                    case 1:
                        TcpFaultProxy link = links[random.Next(links.Length)];
                        link.Stall();
                        stalls++;
                        await Task.Delay(random.Next(50, 500));
                        link.Heal();
                        break;
                    default:
                        bool blackHole = round[step % round.Length] == 3;
                        ulong node = random.Next(2) == 0 && leader?.Invoke() is ulong id ? id : _members[random.Next(_members.Length)];
                        Isolate(node, blackHole);
                        if (blackHole)
                        {
                            blackHoles++;
                        }
                        else
                        {
                            partitions++;
                        }
                        await Task.Delay(random.Next(300, 1_200));
                        HealAll();
                        break;
                }
                await Task.Delay(random.Next(50, 200));
            }
        }
        finally
        {
            HealAll();
        }
        return new TcpFaultTally(resets, stalls, partitions, blackHoles);
    }

    public string Describe() => "links: " + string.Join(", ", _links.Values.Select(l => l.Describe()));

    public async ValueTask DisposeAsync()
    {
        foreach (TcpFaultProxy link in _links.Values)
        {
            await link.DisposeAsync();
        }
        _links.Clear();
    }
}
