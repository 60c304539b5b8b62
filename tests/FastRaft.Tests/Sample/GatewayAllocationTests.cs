using System.Buffers;
using System.IO.Pipelines;
using FastRaft.Codec.Framing;
using FastRaft.Sample.Gateway;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;

namespace FastRaft.Tests.Sample;

/// <summary>
/// A request through a gateway connection — its frame read from the pipe and parsed, handed to
/// the host, the reply queued, written as a frame and flushed by the connection's writer —
/// allocates nothing once warmed up. Measured process-wide (the connection's loops run on pool
/// threads), over windows of many pipelined requests, as the node's own proposal gate is.
/// </summary>
[Collection(Perf.AllocationGateCollection.Name)]
public class GatewayAllocationTests
{
    private const int Batch = 64;
    private const int WarmUpRounds = 400;
    private const int RoundsPerWindow = 160;

    [Fact]
    public async Task Pipelined_requests_on_a_gateway_connection_allocate_nothing_in_steady_state()
    {
        var host = new RecordingGatewayHost(new ClientGatewayOptions());
        var input = new Pipe();
        var output = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var connection = new GatewayConnection(host, (input.Reader, output.Writer), null, 1);
        Task running = connection.RunAsync();

        var frames = new ArrayBufferWriter<byte>();
        for (int i = 0; i < Batch; i++)
        {
            var request = new ArrayBufferWriter<byte>();
            ClientProtocol.WriteSubmit(request, (ulong)i + 1, CommandCodec.Encode(OrderCommand.Limit(7, (ulong)i + 1, 1, Side.Buy, 10_000, 1)));
            FrameWriter.WriteFrame(frames, request.WrittenSpan);
        }
        // A hang guard, not a timing: every step hops through the thread pool, which a busy full
        // run can starve for a while (CI once needed more than 60 s here).
        List<long> windows = await MeasureAsync(input.Writer, output.Reader, frames.WrittenMemory).WaitAsync(TimeSpan.FromSeconds(240));

        await input.Writer.CompleteAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((WarmUpRounds + (windows.Count * RoundsPerWindow)) * Batch, host.Handled);
        Assert.True(windows.Min() < 1024,
            $"bytes allocated per {RoundsPerWindow * Batch} requests, per window: {string.Join(", ", windows)}");
    }

    /// <summary>One async method throughout, so its own state machine exists before measuring.</summary>
    private static async Task<List<long>> MeasureAsync(PipeWriter toGateway, PipeReader fromGateway, ReadOnlyMemory<byte> batch)
    {
        var windows = new List<long>(5);
        for (int round = 0; round < WarmUpRounds + (windows.Capacity * RoundsPerWindow); round++)
        {
            bool measuring = round >= WarmUpRounds && (round - WarmUpRounds) % RoundsPerWindow == 0;
            long before = measuring ? GC.GetTotalAllocatedBytes(precise: true) : 0;
            for (int r = 0; r < (measuring ? RoundsPerWindow : 1); r++)
            {
                await toGateway.WriteAsync(batch).ConfigureAwait(false);
                int replies = 0;
                while (replies < Batch)
                {
                    ReadResult read = await fromGateway.ReadAsync().ConfigureAwait(false);
                    if (read.IsCompleted && read.Buffer.IsEmpty)
                    {
                        throw new InvalidOperationException($"the gateway ended its output after {replies} of {Batch} replies");
                    }
                    ReadOnlySequence<byte> buffer = read.Buffer;
                    while (FrameReader.TryReadFrame(ref buffer, ClientProtocol.MaxMessageSize, out _) == FrameStatus.Complete)
                    {
                        replies++;
                    }
                    fromGateway.AdvanceTo(buffer.Start, buffer.End);
                }
            }
            if (measuring)
            {
                long bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
                windows.Add(bytes);
                round += RoundsPerWindow - 1;
                if (bytes < 1024)
                {
                    break;
                }
            }
        }
        return windows;
    }
}
