using System.Collections;

namespace FastRaft.Transport.Tcp;

/// <summary>
/// Who may connect, as the handshakes see it: a read-only view of a set the node thread replaces
/// whole when the configuration changes (<see cref="TcpTransport.OnConfigurationChanged"/>), so
/// accepting threads always read one consistent set without locks.
/// </summary>
internal sealed class LiveMemberSet(IEnumerable<ulong> initial) : IReadOnlySet<ulong>
{
    private HashSet<ulong> _current = [.. initial];

    private HashSet<ulong> Current => Volatile.Read(ref _current);

    /// <summary>Publishes <paramref name="members"/> (node thread); the set must not be changed afterwards.</summary>
    public void Replace(HashSet<ulong> members) => Volatile.Write(ref _current, members);

    public int Count => Current.Count;

    public bool Contains(ulong item) => Current.Contains(item);

    public IEnumerator<ulong> GetEnumerator() => Current.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool IsProperSubsetOf(IEnumerable<ulong> other) => Current.IsProperSubsetOf(other);

    public bool IsProperSupersetOf(IEnumerable<ulong> other) => Current.IsProperSupersetOf(other);

    public bool IsSubsetOf(IEnumerable<ulong> other) => Current.IsSubsetOf(other);

    public bool IsSupersetOf(IEnumerable<ulong> other) => Current.IsSupersetOf(other);

    public bool Overlaps(IEnumerable<ulong> other) => Current.Overlaps(other);

    public bool SetEquals(IEnumerable<ulong> other) => Current.SetEquals(other);
}
