using FastRaft.Core;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// A group's transport as its host sees it: everything is forwarded to the real transport (and
/// inbound batches to the node's sink), and on the way the watch remembers what leader placement
/// needs without asking the node thread: the group's voters as this replica knows them (from
/// <see cref="ITransport.OnConfigurationChanged"/>: at start, on every applied change, after a
/// snapshot) and the term of the last MsgTimeoutNow received, which means this replica was handed
/// leadership on purpose (a move, or a placement transfer). Nothing is allocated per message.
/// </summary>
internal sealed class GroupTransportWatch(ITransport inner) : ITransport, ITransportSink, IPushOnlyTransport
{
    private ITransportSink? _sink;
    private ulong[] _voters = [];
    private ulong _handedOverTerm;

    /// <summary>
    /// The group's voters as this replica last knew them, sorted (while joint: those of the
    /// incoming configuration, the one the group is moving to); any thread.
    /// </summary>
    public ulong[] Voters => Volatile.Read(ref _voters);

    /// <summary>The term of the last MsgTimeoutNow this replica received (0: none); any thread.</summary>
    public ulong HandedOverTerm => Volatile.Read(ref _handedOverTerm);

    public ulong LocalId => inner.LocalId;

    public int MaxWholeMessageSize => inner.MaxWholeMessageSize;

    public IWaitSource? WaitSource => inner.WaitSource;

    /// <inheritdoc />
    public bool OnlyPushes => inner is IPushOnlyTransport { OnlyPushes: true };

    public void Start(ITransportSink sink)
    {
        _sink = sink;
        inner.Start(this);
    }

    public void Send(in Message message) => inner.Send(message);

    public void Flush() => inner.Flush();

    public int Poll(long now) => inner.Poll(now);

    public void OnConfigurationChanged(ConfState confState)
    {
        Volatile.Write(ref _voters, SortedVoters(confState));
        inner.OnConfigurationChanged(confState);
    }

    public void Dispose() => inner.Dispose();

    public bool Deliver(InboundBatch batch)
    {
        ReadOnlySpan<Message> messages = batch.Messages;
        for (int i = 0; i < messages.Length; i++)
        {
            if (messages[i].Type == MessageType.TimeoutNow)
            {
                NoteHandover(messages[i].Term);
            }
        }
        return _sink!.Deliver(batch);
    }

    public void ReportUnreachable(ulong nodeId) => _sink!.ReportUnreachable(nodeId);

    public void ReportSnapshot(ulong nodeId, SnapshotStatus status) => _sink!.ReportSnapshot(nodeId, status);

    private void NoteHandover(ulong term)
    {
        // Terms only grow; a stale or replayed TimeoutNow must not move the mark back.
        ulong seen = Volatile.Read(ref _handedOverTerm);
        while (term > seen)
        {
            ulong found = Interlocked.CompareExchange(ref _handedOverTerm, term, seen);
            if (found == seen)
            {
                return;
            }
            seen = found;
        }
    }

    private static ulong[] SortedVoters(ConfState confState)
    {
        ulong[] voters = [.. confState.Voters];
        Array.Sort(voters);
        return voters;
    }
}
