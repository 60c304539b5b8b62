using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting.Groups;

public class GroupTransportWatchTests
{
    [Fact]
    public void It_remembers_the_sorted_voters_and_the_latest_handover_term_and_forwards_everything()
    {
        var network = new InMemoryNetwork();
        using var watch = new GroupTransportWatch(network.CreateTransport(1));
        var sink = new CountingSink();
        watch.Start(sink);

        watch.OnConfigurationChanged(new ConfState { Voters = [3, 1, 2], Learners = [4] });
        Assert.Equal([1UL, 2, 3], watch.Voters);
        Assert.Equal(0UL, watch.HandedOverTerm);

        Assert.True(watch.Deliver(Batch(new Message { Type = MessageType.Append, Term = 9 }, new Message { Type = MessageType.TimeoutNow, Term = 5 })));
        Assert.True(watch.Deliver(Batch(new Message { Type = MessageType.TimeoutNow, Term = 4 })));
        Assert.Equal(5UL, watch.HandedOverTerm); // a stale TimeoutNow does not move it back
        Assert.Equal(2, sink.Batches);
        Assert.Equal(3, sink.Messages);

        watch.ReportUnreachable(2);
        Assert.Equal(1, sink.Unreachable);
        Assert.Equal(1UL, watch.LocalId);
    }

    [Fact]
    public void Watching_a_delivered_batch_and_forwarding_sends_allocates_nothing()
    {
        var network = new InMemoryNetwork();
        using var watch = new GroupTransportWatch(network.CreateTransport(1));
        watch.Start(new CountingSink());
        InboundBatch batch = Batch(new Message { Type = MessageType.Append, Term = 2 }, new Message { Type = MessageType.TimeoutNow, Term = 2 });
        var message = new Message { Type = MessageType.Heartbeat, From = 1, To = 2, Term = 2 };

        void Cycle(int n)
        {
            for (int i = 0; i < n; i++)
            {
                watch.Deliver(batch);
                watch.Send(message);
                watch.Flush();
            }
        }

        Cycle(100);
        Assert.Equal(0, AllocationCounter.Steady(() => Cycle(1000)));
    }

    private static InboundBatch Batch(params Message[] messages)
    {
        var batch = new InboundBatch();
        foreach (Message m in messages)
        {
            batch.Add(m);
        }
        return batch;
    }

    private sealed class CountingSink : ITransportSink
    {
        public int Batches;
        public int Messages;
        public int Unreachable;

        public bool Deliver(InboundBatch batch)
        {
            Batches++;
            Messages += batch.Count;
            return true;
        }

        public void ReportUnreachable(ulong nodeId) => Unreachable++;

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
        {
        }
    }
}
