using System.Net;
using System.Net.Sockets;
using FastRaft.Tests.Udp;

namespace FastRaft.Tests.EndToEnd;

/// <summary>The test proxy does the faults it claims (so the faulty-link tests test what they say).</summary>
[Trait("Category", "Integration")]
public sealed class TcpFaultProxyTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Socket _server = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly TcpFaultProxy _proxy;
    private readonly List<Socket> _sockets = [];

    public TcpFaultProxyTests()
    {
        _server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _server.Listen(8);
        _proxy = new TcpFaultProxy("test", () => (IPEndPoint)_server.LocalEndPoint!);
    }

    /// <summary>A connection through the proxy: (the dialler's end, the server's end).</summary>
    private async Task<(Socket Client, Socket Server)> ConnectAsync()
    {
        long relayed = _proxy.Accepted;
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(client);
        await client.ConnectAsync(_proxy.EndPoint).WaitAsync(Timeout);
        Socket server = await _server.AcceptAsync().WaitAsync(Timeout);
        _sockets.Add(server);
        // The proxy lists the relay just after its own connect completes.
        Assert.True(Wait.Until(() => _proxy.Accepted > relayed, Timeout), "the proxy never relayed the connection");
        return (client, server);
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got)).AsTask().WaitAsync(Timeout);
            Assert.True(n > 0, $"closed after {got} of {count} bytes");
            got += n;
        }
        return buffer;
    }

    [Fact]
    public async Task Bytes_flow_both_ways_and_a_stalled_link_holds_them_until_it_is_healed()
    {
        (Socket client, Socket server) = await ConnectAsync();
        await client.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal([1, 2, 3], await ReceiveExactlyAsync(server, 3));
        await server.SendAsync(new byte[] { 4 });
        Assert.Equal([4], await ReceiveExactlyAsync(client, 1));

        _proxy.Stall();
        await client.SendAsync(new byte[] { 5, 6 });
        Task<int> held = server.ReceiveAsync(new byte[2]);
        await Task.Delay(300);
        Assert.False(held.IsCompleted, "a stalled link delivered");

        _proxy.Heal();
        Assert.Equal(2, await held.WaitAsync(Timeout));
        Assert.Equal(1, _proxy.Accepted);
    }

    [Fact]
    public async Task A_cut_link_resets_its_connections_and_refuses_new_ones_until_healed()
    {
        (Socket client, _) = await ConnectAsync();
        _proxy.Cut();
        await Assert.ThrowsAsync<SocketException>(async () =>
        {
            // The reset arrives as an error on receive (or on a send after it).
            while (await client.ReceiveAsync(new byte[16]).WaitAsync(Timeout) > 0)
            {
            }
            await client.SendAsync(new byte[1]);
            await client.SendAsync(new byte[1]);
        });
        Assert.Equal(1, _proxy.Resets);

        var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(refused);
        await Assert.ThrowsAsync<SocketException>(async () =>
        {
            // The reset may come before the connect completes on this side.
            await refused.ConnectAsync(_proxy.EndPoint).WaitAsync(Timeout);
            while (await refused.ReceiveAsync(new byte[16]).WaitAsync(Timeout) > 0)
            {
            }
            await refused.SendAsync(new byte[1]);
            await refused.SendAsync(new byte[1]);
        });
        Assert.True(_proxy.Refused >= 1);

        _proxy.Heal();
        (Socket again, Socket server) = await ConnectAsync();
        await again.SendAsync(new byte[] { 7 });
        Assert.Equal([7], await ReceiveExactlyAsync(server, 1));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        foreach (Socket s in _sockets)
        {
            s.Dispose();
        }
        _server.Dispose();
    }
}
