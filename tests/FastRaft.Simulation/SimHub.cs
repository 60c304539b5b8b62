using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

/// <summary>
/// A multi-group server incarnation's one transport, shared by its groups' replicas as the
/// process-level hub is in production: each replica's agent gets a view (<see cref="SimTransport"/>)
/// whose sends are stamped with the group id and kept until the end of the process's duty cycle.
/// A cycle of the process starts with <see cref="Route"/> (what arrived goes to its group's view by
/// <see cref="Message.GroupId"/>; a message for a group this process does not run is a counted
/// drop), then runs every replica's agent, then <see cref="Flush"/>: the shared log is synced once
/// if any group wrote since the last sync, and only then does anything leave the process (the
/// durability rule: nothing is acknowledged before it is durable).
/// </summary>
internal sealed class SimHub(Simulation sim, SimServer server, IGroupCommit log)
{
    /// <summary>Arrived at the process, not yet routed to a group.</summary>
    private readonly Queue<Message> _inbox = new();

    /// <summary>Sent by the groups during the current cycle (owned copies, group id stamped).</summary>
    private readonly List<Message> _outbox = [];

    private readonly SortedDictionary<ulong, SimTransport> _views = [];

    public bool Disposed { get; private set; }

    /// <summary>A view for <paramref name="replica"/>'s agent (replacing any earlier one of its group).</summary>
    public SimTransport Attach(SimNode replica)
    {
        var view = new SimTransport(sim, replica, server.Incarnation, this);
        _views[replica.Group] = view;
        return view;
    }

    /// <summary>A group's agent sends: an owned copy, stamped with its group id, leaves at the end of the cycle.</summary>
    public void Send(SimNode from, in Message m)
    {
        if (Disposed)
        {
            return;
        }
        Message c = Simulation.Own(m);
        c.GroupId = from.Group;
        _outbox.Add(c);
    }

    /// <summary>A message reached the process (the network already applied its faults).</summary>
    public void Arrive(in Message m) => _inbox.Enqueue(m);

    /// <summary>Hands everything that arrived to its group's view; an unknown group's message is dropped and counted.</summary>
    public void Route()
    {
        while (_inbox.TryDequeue(out Message m))
        {
            // Whatever a node sends shows it is alive; group 0 is the process's own channel (liveness pings).
            server.Liveness?.Heard(m.From);
            if (m.GroupId == 0 && m.Type == MessageType.Heartbeat && server.Liveness is not null)
            {
                continue;
            }
            if (m.GroupId != 0 && _views.TryGetValue(m.GroupId, out SimTransport? view) && !view.Disposed)
            {
                view.Arrive(m);
            }
            else
            {
                sim.UnknownGroup(server, m);
            }
        }
    }

    /// <summary>The end of the process's cycle: one sync if any group wrote, then every message leaves.</summary>
    public void Flush()
    {
        if (_outbox.Count == 0 || Disposed)
        {
            return;
        }
        if (log.HasUnsyncedWrites)
        {
            log.SyncWrites();
        }
        foreach (Message m in _outbox)
        {
            sim.Transmit(server, m);
        }
        _outbox.Clear();
    }

    /// <summary>The process is gone: what waited to be routed is lost, what waited to be sent never leaves.</summary>
    public void Dispose()
    {
        if (Disposed)
        {
            return;
        }
        Disposed = true;
        _outbox.Clear();
        while (_inbox.TryDequeue(out Message m))
        {
            sim.LostInInbox(m);
        }
    }
}
