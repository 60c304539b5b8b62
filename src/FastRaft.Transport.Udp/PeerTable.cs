using System.Net;

namespace FastRaft.Transport.Udp;

/// <summary>
/// The peers by node id, copy-on-write: readers (node thread, receive thread) look up in the
/// current immutable map without locking; changes (rare, configuration) build a new map.
/// </summary>
internal sealed class PeerTable(int maxDatagramSize)
{
    private readonly Lock _gate = new();
    private Dictionary<ulong, Peer> _peers = [];

    public bool TryGet(ulong id, out Peer peer)
    {
        if (Volatile.Read(ref _peers).TryGetValue(id, out Peer? p))
        {
            peer = p;
            return true;
        }
        peer = null!;
        return false;
    }

    public void Set(ulong id, IPEndPoint endPoint)
    {
        lock (_gate)
        {
            if (_peers.TryGetValue(id, out Peer? existing) && existing.EndPoint.Equals(endPoint))
            {
                return;
            }
            var next = new Dictionary<ulong, Peer>(_peers) { [id] = new Peer(id, endPoint, maxDatagramSize) };
            Volatile.Write(ref _peers, next);
        }
    }

    public bool Remove(ulong id)
    {
        lock (_gate)
        {
            if (!_peers.ContainsKey(id))
            {
                return false;
            }
            var next = new Dictionary<ulong, Peer>(_peers);
            next.Remove(id);
            Volatile.Write(ref _peers, next);
            return true;
        }
    }

    public int Count => Volatile.Read(ref _peers).Count;
}
