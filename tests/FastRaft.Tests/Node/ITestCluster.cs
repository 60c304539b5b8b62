using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// What the node behaviour tests drive, whichever harness runs the nodes: the agent
/// (<see cref="TestCluster"/>) or, for the few tests that need the core's raw Readys, the core
/// harness (<see cref="CoreTestCluster"/>). Messages sent wait in <see cref="InFlight"/> until the
/// test delivers them; <see cref="Nodes"/> are the cores, which tests call directly (campaign,
/// propose, step forged messages) between Readys, as etcd's raft tests do.
/// </summary>
internal interface ITestCluster
{
    Dictionary<ulong, RawNode> Nodes { get; }

    Dictionary<ulong, MemoryStorage> Storages { get; }

    /// <summary>Messages sent and not yet delivered, in order (owned copies).</summary>
    List<Message> InFlight { get; }

    /// <summary>The committed entries each node applied, in order (payloads copied).</summary>
    Dictionary<ulong, List<Entry>> Applied { get; }

    /// <summary>Handles one Ready of node <paramref name="id"/>, queueing its messages. Returns whether there was one.</summary>
    bool ProcessReady(ulong id);

    /// <summary>Delivers every queued message (dropping those <paramref name="drop"/> rejects) and handles Readys until quiet.</summary>
    void Stabilize(Func<Message, bool>? drop = null);

    /// <summary>Elects node <paramref name="id"/> and brings everyone up to date.</summary>
    void Elect(ulong id);

    /// <summary>Removes and returns the queued messages matching <paramref name="match"/>.</summary>
    List<Message> Take(Func<Message, bool> match);

    /// <summary>One logical tick of node <paramref name="id"/>.</summary>
    void Tick(ulong id);

    /// <summary>Delivers every queued message matching <paramref name="match"/> to its recipient (others stay queued); returns how many.</summary>
    int Deliver(Func<Message, bool> match);

    /// <summary>
    /// Adds node <paramref name="id"/> built over a storage holding the cluster's initial snapshot
    /// (index 1, term 1) with configuration <paramref name="initial"/>, which need not include it:
    /// a node about to be added to the cluster.
    /// </summary>
    RawNode AddNode(ulong id, ConfState initial, Func<RaftConfig, RaftConfig>? configure = null);
}
