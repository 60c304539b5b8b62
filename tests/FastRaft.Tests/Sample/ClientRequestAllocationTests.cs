using System.Buffers;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;

namespace FastRaft.Tests.Sample;

/// <summary>Reading a submit request (every order a client sends) allocates nothing once warmed up.</summary>
[Collection(Perf.AllocationGateCollection.Name)]
public class ClientRequestAllocationTests
{
    [Fact]
    public void Parsing_a_submit_request_allocates_nothing()
    {
        var buffer = new ArrayBufferWriter<byte>();
        ClientProtocol.WriteSubmit(buffer, 7, CommandCodec.Encode(OrderCommand.Limit(1, 2, 1, Side.Buy, 100, 5)));
        ReadOnlyMemory<byte> datagram = buffer.WrittenMemory;
        void Parse(int times)
        {
            for (int i = 0; i < times; i++)
            {
                Assert.True(ClientProtocol.TryReadRequest(datagram, out ClientRequest request) && request.Command.Length > 0);
            }
        }
        Parse(20_000);
        Assert.Equal(0, AllocationCounter.Steady(() => Parse(10_000), attempts: 5));
    }
}
