using System.Buffers;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Tests.Udp;
using MessagePack;

namespace FastRaft.Tests.Sample;

/// <summary>
/// An order sent to a live node's gateway over TCP — read and parsed by the gateway, proposed,
/// committed, applied by the matching engine, answered through the connection's writer — and its
/// reply read by the client allocates nothing in steady state, measured process-wide over windows
/// of pipelined orders, as the node's own proposal gate is (a node of its own; the orders are
/// cancels of unknown orders from one client, so the books and the client table do not grow).
/// </summary>
[Collection(Perf.AllocationGateCollection.Name)]
public class GatewayEndToEndAllocationTests
{
    private const int Batch = 64;
    private const int WarmUpBatches = 150;
    // Windows of 1,024 orders: the in-memory log keeps every entry, and its payload arena takes a new
    // 64 KiB chunk every few thousand orders (memory retained by the log, not garbage); a window
    // without one shows what the request path itself allocates.
    private const int BatchesPerWindow = 16;
    private const int Windows = 8;

    [Fact]
    public async Task Orders_through_a_nodes_gateway_allocate_nothing_in_steady_state()
    {
        await using var cluster = new LocalCluster(1, null);
        cluster.StartAll();
        Assert.True(Wait.Until(() => cluster.Converged(), GatewayExchange.Timeout), "no leader");
        SampleNode node = cluster.Leader!;

        int total = (WarmUpBatches + (Windows * BatchesPerWindow)) * Batch;
        byte[][] requests = new byte[total][];
        for (int i = 0; i < total; i++)
        {
            var request = new ArrayBufferWriter<byte>(64);
            ClientProtocol.WriteSubmit(request, (ulong)i + 1, CommandCodec.Encode(OrderCommand.Cancel(9, (ulong)i + 1, 1, 1_000_000 + (ulong)i)));
            requests[i] = request.WrittenSpan.ToArray();
        }
        using ClientConnection connection = GatewayExchange.Connect(node.ClientEndPoint);
        List<long> windows = await Task.Factory.StartNew(() => Measure(connection, requests), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(node.StateMachine.TryGetClient(9, out ClientRecord record));
        Assert.Equal((ulong)((WarmUpBatches + (windows.Count * BatchesPerWindow)) * Batch), record.LastSequence);
        Assert.True(windows.Min() < 1024,
            $"bytes allocated per {BatchesPerWindow * Batch} orders, per window: {string.Join(", ", windows)}");
    }

    private static List<long> Measure(ClientConnection connection, byte[][] requests)
    {
        var windows = new List<long>(Windows);
        int next = 0;
        for (int b = 0; b < WarmUpBatches; b++)
        {
            next = RoundTrip(connection, requests, next);
        }
        for (int w = 0; w < Windows; w++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int b = 0; b < BatchesPerWindow; b++)
            {
                next = RoundTrip(connection, requests, next);
            }
            long bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
            windows.Add(bytes);
            if (bytes < 1024)
            {
                break;
            }
        }
        return windows;
    }

    /// <summary>Sends a batch of orders pipelined and reads every answer; each must be applied (a rejection by the engine is an answer).</summary>
    private static int RoundTrip(ClientConnection connection, byte[][] requests, int next)
    {
        for (int i = 0; i < Batch; i++)
        {
            connection.Queue(requests[next + i]);
        }
        if (!connection.Flush())
        {
            throw new InvalidOperationException("the gateway closed the connection");
        }
        for (int answered = 0; answered < Batch;)
        {
            if (!connection.TryReceive(1_000_000, out ReadOnlyMemory<byte> payload))
            {
                if (connection.IsClosed)
                {
                    throw new InvalidOperationException("the gateway closed the connection");
                }
                continue;
            }
            var reader = new MessagePackReader(payload);
            if (!ClientProtocol.TryReadReplyHeader(ref reader, out _, out ulong id, out int fields)
                || !ClientProtocol.TryReadSubmitReply(ref reader, id, fields, out SubmitReply reply) || reply.Status != SubmitStatus.Ok)
            {
                throw new InvalidOperationException($"request {id} was not applied");
            }
            answered++;
        }
        return next + Batch;
    }
}
