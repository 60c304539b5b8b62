using FastRaft.Protocol;

namespace FastRaft.Core;

internal sealed partial class Raft
{
    /// <summary>
    /// Appends one committed ConfChangeAddNode entry per peer at term 1 and applies them, so a
    /// fresh node can campaign at once. The entries stay unstable and unapplied, so the
    /// application sees (and persists, and applies) them through Ready like any other.
    /// </summary>
    internal void BootstrapEntries(ReadOnlySpan<ulong> peers)
    {
        BecomeFollower(1, LocalIds.None);
        _scratch.Clear();
        for (int i = 0; i < peers.Length; i++)
        {
            var cc = new ConfChange(ConfChangeType.AddNode, peers[i]);
            _scratch.Add(new Entry(1, (ulong)i + 1, EntryType.ConfChange, ConfChangeCodec.Encode(cc)));
        }
        Log.Append(_scratch.Span);
        Log.Committed = (ulong)peers.Length;
        foreach (ulong peer in peers)
        {
            ConfChanges.ConfChangeResult r = ApplyConfChange(new ConfChange(ConfChangeType.AddNode, peer).AsV2());
            if (!r.Ok)
            {
                _log.Panic(r.Error!);
            }
        }
    }
}
