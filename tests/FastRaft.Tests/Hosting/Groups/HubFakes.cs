using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Protocol;
using FastRaft.Tests.Udp;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>
/// A process transport that records, in one ordered event list shared with a
/// <see cref="RecordingGroupCommit"/>, every send (an owned copy) and flush; or only counts
/// them (for allocation gates).
/// </summary>
internal sealed class FakeProcessTransport(ulong localId, List<string> events, int maxWholeMessageSize = 0) : ITransport
{
    public ulong LocalId { get; } = localId;

    public bool Keep { get; init; } = true;

    public List<Message> Sent { get; } = [];

    public long SendCount { get; private set; }

    public long FlushCount { get; private set; }

    public ConfState? Configuration { get; private set; }

    public ITransportSink? Sink { get; private set; }

    public bool Disposed { get; private set; }

    public int MaxWholeMessageSize { get; } = maxWholeMessageSize;

    public IWaitSource WaitSource { get; } = new SignalWaitSource();

    public void Start(ITransportSink sink) => Sink = sink;

    public void Send(in Message message)
    {
        SendCount++;
        if (Keep)
        {
            Sent.Add(RecordingSink.Own(in message));
            events.Add("send");
        }
    }

    public void Flush()
    {
        FlushCount++;
        if (Keep)
        {
            events.Add("flush");
        }
    }

    public void OnConfigurationChanged(ConfState confState) => Configuration = confState;

    public void Dispose() => Disposed = true;
}

/// <summary>A shared log that only records when it was synced, in the transport's event list.</summary>
internal sealed class RecordingGroupCommit(List<string> events) : IGroupCommit
{
    public bool HasUnsyncedWrites { get; set; }

    public void SyncWrites()
    {
        events.Add("sync");
        HasUnsyncedWrites = false;
    }
}

/// <summary>A hub over a fake transport, driven by the test's thread on a fake clock.</summary>
internal sealed class HubRig
{
    public HubRig(ulong localId = 1, bool withLog = false, int maxWholeMessageSize = 0, bool keep = true)
    {
        Transport = new FakeProcessTransport(localId, Events, maxWholeMessageSize) { Keep = keep };
        Log = withLog ? new RecordingGroupCommit(Events) : null;
        Options = new RaftGroupHostOptions { Time = Clock, LivenessInterval = TimeSpan.FromMilliseconds(30), LivenessTimeout = TimeSpan.FromMilliseconds(100) };
        Hub = new GroupTransportHub(Transport, Log, Options, new SignalWaitSource());
        Hub.Open();
    }

    public List<string> Events { get; } = [];

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public RaftGroupHostOptions Options { get; }

    public FakeProcessTransport Transport { get; }

    public RecordingGroupCommit? Log { get; }

    public GroupTransportHub Hub { get; }

    public Dictionary<ulong, (GroupTransportView View, RecordingSink Sink)> Groups { get; } = [];

    /// <summary>A started view of group <paramref name="groupId"/> whose configuration is <paramref name="members"/>.</summary>
    public GroupTransportView AddGroup(ulong groupId, ulong[] members, bool keep = true)
    {
        GroupTransportView view = Hub.CreateView(groupId, new SignalWaitSource());
        var sink = new RecordingSink { Keep = keep };
        view.Start(sink);
        view.OnConfigurationChanged(new ConfState { Voters = members });
        Groups[groupId] = (view, sink);
        return view;
    }

    public RecordingSink SinkOf(ulong groupId) => Groups[groupId].Sink;

    /// <summary>One hub cycle at the fake clock's now.</summary>
    public int Cycle() => Hub.DoWork(Clock.GetTimestamp());

    /// <summary>Hands <paramref name="messages"/> to the hub as the transport would, in one batch.</summary>
    public bool Receive(params Message[] messages)
    {
        var batch = new InboundBatch();
        foreach (Message m in messages)
        {
            batch.AddCopy(in m);
        }
        return Transport.Sink!.Deliver(batch);
    }

    /// <summary>The sent messages that are not liveness pings.</summary>
    public List<Message> SentWithoutPings() =>
        [.. Transport.Sent.Where(m => !(m.GroupId == 0 && m.Context.Span.SequenceEqual(new byte[] { 1, 3 })))];
}
