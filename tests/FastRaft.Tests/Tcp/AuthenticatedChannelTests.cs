using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Codec;
using FastRaft.Codec.Framing;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Tests.Tcp;

public class AuthenticatedChannelTests
{
    private static readonly HashSet<ulong> Members = [1, 2];

    private sealed class Side(Socket socket) : IDisposable
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: true);

        public Socket Socket => socket;

        public PipeReader Input { get; } = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));

        public PipeWriter Output { get; } = PipeWriter.Create(new NetworkStream(socket, ownsSocket: false));

        public void Dispose()
        {
            Input.Complete();
            Output.Complete();
            _stream.Dispose();
        }
    }

    private static async Task<(Side Dialer, Side Listener)> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var dialer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = listener.AcceptAsync();
        await dialer.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await accept;
        accepted.NoDelay = true;
        return (new Side(dialer), new Side(accepted));
    }

    private static async Task<(HandshakeFailure, SessionKeys?, HandshakeFailure, SessionKeys?)> HandshakeAsync(Side d, Side l, byte[] dialerKey, byte[] listenerKey)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ValueTask<(HandshakeFailure, SessionKeys?)> dial = HandshakeExchange.DialAsync(d.Input, d.Output, new DialerHandshake(dialerKey, 1, 2), cts.Token);
        Task<(HandshakeFailure, SessionKeys?)> accept = HandshakeExchange.AcceptAsync(l.Input, l.Output, new ListenerHandshake(listenerKey, 2, Members), cts.Token).AsTask();
        (HandshakeFailure df, SessionKeys? dk) = await dial;
        if (df != HandshakeFailure.None)
        {
            // A refusing dialer closes the connection; the listener then sees the stream end.
            d.Socket.Shutdown(SocketShutdown.Send);
        }
        (HandshakeFailure lf, SessionKeys? lk) = await accept;
        return (df, dk, lf, lk);
    }

    [Fact]
    public async Task Messages_flow_both_ways_over_loopback_after_the_handshake()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        (Side d, Side l) = await ConnectAsync();
        using (d)
        using (l)
        {
            (HandshakeFailure df, SessionKeys? dk, HandshakeFailure lf, SessionKeys? lk) = await HandshakeAsync(d, l, key, key);
            Assert.Equal(HandshakeFailure.None, df);
            Assert.Equal(HandshakeFailure.None, lf);
            using var dialerChannel = new AuthenticatedFrameChannel(d.Input, d.Output, new FrameAuthenticator(dk!.DialerToListener), new FrameAuthenticator(dk.ListenerToDialer));
            using var listenerChannel = new AuthenticatedFrameChannel(l.Input, l.Output, new FrameAuthenticator(lk!.ListenerToDialer), new FrameAuthenticator(lk.DialerToListener));

            const int Count = 2_000;
            Task<int> toListener = Task.Run(() => Exchange(dialerChannel, listenerChannel, Count, 1));
            Task<int> toDialer = Task.Run(() => Exchange(listenerChannel, dialerChannel, Count, 2));
            Assert.Equal(Count, await toListener);
            Assert.Equal(Count, await toDialer);
        }
    }

    /// <summary>Sends Count messages from one channel and receives them on the other; returns how many arrived intact.</summary>
    private static async Task<int> Exchange(AuthenticatedFrameChannel from, AuthenticatedFrameChannel to, int count, ulong sender)
    {
        Task send = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                Message m = i % 3 == 0 ? CodecFixtures.App(1 + (i % 4), 50) : new Message(MessageType.Heartbeat, sender, 3 - sender, 5) { Commit = (ulong)i };
                while (!from.TryWrite(m))
                {
                    await from.Writer.WaitUntilResumedAsync();
                }
                if (i % 32 == 31)
                {
                    from.Flush();
                }
            }
            from.Flush();
            await from.Writer.WaitUntilResumedAsync();
        });
        var entries = new EntryBuffer();
        int received = 0;
        while (received < count && await to.Reader.ReadAsync())
        {
            ChannelReadStatus status;
            entries.Clear();
            while ((status = to.TryReadMessage(entries, out Message m, out string? error)) == ChannelReadStatus.Message)
            {
                if (received % 3 != 0)
                {
                    Assert.Equal((ulong)received, m.Commit);
                    Assert.Equal(sender, m.From);
                }
                received++;
                entries.Clear();
            }
            Assert.Equal(ChannelReadStatus.NeedMore, status);
            to.Reader.AdvanceToNext();
        }
        await send;
        return received;
    }

    [Fact]
    public async Task A_peer_with_the_wrong_key_gets_no_channel()
    {
        (Side d, Side l) = await ConnectAsync();
        using (d)
        using (l)
        {
            (HandshakeFailure df, SessionKeys? dk, HandshakeFailure lf, SessionKeys? lk) =
                await HandshakeAsync(d, l, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
            Assert.Equal(HandshakeFailure.BadProof, df);
            Assert.NotEqual(HandshakeFailure.None, lf);
            Assert.Null(dk);
            Assert.Null(lk);
        }
    }

    [Fact]
    public async Task A_byte_altered_in_transit_is_caught_by_the_mac()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var wire = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var relay = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var sender = new AuthenticatedFrameChannel(new Pipe().Reader, wire.Writer, new FrameAuthenticator(key), new FrameAuthenticator(key));
        var receiver = new AuthenticatedFrameChannel(relay.Reader, new Pipe().Writer, new FrameAuthenticator(key), new FrameAuthenticator(key));
        Assert.True(sender.TryWrite(CodecFixtures.App(2, 32)));
        Assert.True(sender.TryWrite(CodecFixtures.App(2, 32)));
        sender.Flush();
        ReadResult r = await wire.Reader.ReadAsync();
        byte[] bytes = r.Buffer.ToArray();
        wire.Reader.AdvanceTo(r.Buffer.End);
        int second = bytes.Length / 2;
        bytes[second + 10] ^= 0x40; // inside the second frame's message
        await relay.Writer.WriteAsync(bytes);
        Assert.True(await receiver.Reader.ReadAsync());
        var entries = new EntryBuffer();
        Assert.Equal(ChannelReadStatus.Message, receiver.TryReadMessage(entries, out _, out _));
        Assert.Equal(ChannelReadStatus.BadMac, receiver.TryReadMessage(entries, out _, out string? error));
        Assert.Contains("MAC", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_above_the_bound_is_refused_and_counted_not_thrown()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var wire = new Pipe(new PipeOptions(useSynchronizationContext: false));
        using var channel = new AuthenticatedFrameChannel(new Pipe().Reader, wire.Writer, new FrameAuthenticator(key), new FrameAuthenticator(key), maxMessageBytes: 1024);
        Assert.False(channel.TryWrite(CodecFixtures.App(4, 512)));
        Assert.Equal(1, channel.OversizeRefused);
        Assert.Equal(0, channel.Writer.UnflushedBytes);
        Assert.True(channel.TryWrite(CodecFixtures.App(1, 16)));
    }

    [Fact]
    public async Task A_byte_altered_in_transit_fails_the_checksum_of_an_insecure_channel()
    {
        var wire = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var relay = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var sender = AuthenticatedFrameChannel.Insecure(new Pipe().Reader, wire.Writer);
        var receiver = AuthenticatedFrameChannel.Insecure(relay.Reader, new Pipe().Writer);
        Assert.True(sender.TryWrite(CodecFixtures.App(2, 32)));
        Assert.True(sender.TryWrite(CodecFixtures.App(2, 32)));
        sender.Flush();
        ReadResult r = await wire.Reader.ReadAsync();
        byte[] bytes = r.Buffer.ToArray();
        wire.Reader.AdvanceTo(r.Buffer.End);
        int frame = bytes.Length / 2;
        Assert.Equal(frame, FrameFormat.HeaderSize + RaftMessageCodec.EncodedSize(CodecFixtures.App(2, 32)) + sizeof(uint));
        bytes[frame + 10] ^= 0x40; // inside the second frame's message
        await relay.Writer.WriteAsync(bytes);
        Assert.True(await receiver.Reader.ReadAsync());
        var entries = new EntryBuffer();
        Assert.Equal(ChannelReadStatus.Message, receiver.TryReadMessage(entries, out _, out _));
        Assert.Equal(ChannelReadStatus.BadChecksum, receiver.TryReadMessage(entries, out _, out string? error));
        Assert.Contains("checksum", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tls_channel_sends_bare_frames_and_refuses_a_header_above_its_bound()
    {
        var wire = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var sender = AuthenticatedFrameChannel.OverTls(new Pipe().Reader, wire.Writer, maxMessageBytes: 1024);
        var receiver = AuthenticatedFrameChannel.OverTls(wire.Reader, new Pipe().Writer, maxMessageBytes: 1024);
        Message m = CodecFixtures.App(1, 64);
        Assert.True(sender.TryWrite(m));
        Assert.Equal(FrameFormat.HeaderSize + RaftMessageCodec.EncodedSize(m), sender.Writer.UnflushedBytes);
        sender.Flush();
        byte[] oversized = [FrameFormat.Marker, 0, 0, 0x10, 0]; // announces 4096 bytes
        await wire.Writer.WriteAsync(oversized);
        Assert.True(await receiver.Reader.ReadAsync());
        var entries = new EntryBuffer();
        Assert.Equal(ChannelReadStatus.Message, receiver.TryReadMessage(entries, out Message got, out _));
        Assert.Equal(m.Entries.Length, got.Entries.Length);
        Assert.Equal(ChannelReadStatus.TooLarge, receiver.TryReadMessage(entries, out _, out _));
    }

    public enum Protection
    {
        Mac,
        Tls,
        Checksum,
    }

    [Theory]
    [InlineData(Protection.Mac)]
    [InlineData(Protection.Tls)]
    [InlineData(Protection.Checksum)]
    public void Writing_and_reading_messages_allocates_nothing_in_steady_state(Protection protection)
    {
        var wire = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        byte[] key = RandomNumberGenerator.GetBytes(32);
        AuthenticatedFrameChannel Make(PipeReader input, PipeWriter output) => protection switch
        {
            Protection.Mac => new AuthenticatedFrameChannel(input, output, new FrameAuthenticator(key), new FrameAuthenticator(key)),
            Protection.Tls => AuthenticatedFrameChannel.OverTls(input, output),
            _ => AuthenticatedFrameChannel.Insecure(input, output),
        };
        using AuthenticatedFrameChannel sender = Make(new Pipe().Reader, wire.Writer);
        using AuthenticatedFrameChannel receiver = Make(wire.Reader, new Pipe().Writer);
        Message[] messages =
        [
            CodecFixtures.App(1, 16),
            new Message(MessageType.Heartbeat, 1, 2, 7) { Commit = 10 },
            new Message(MessageType.AppendResponse, 1, 2, 7) { Index = 100 },
        ];
        var entries = new EntryBuffer(64);
        int received = 0;
        void RoundTrip()
        {
            for (int i = 0; i < 200; i++)
            {
                foreach (Message m in messages)
                {
                    if (!sender.TryWrite(m))
                    {
                        throw new InvalidOperationException("the channel refused a message");
                    }
                }
                sender.Flush();
                if (!receiver.Reader.TryRead())
                {
                    throw new InvalidOperationException("nothing arrived");
                }
                entries.Clear();
                while (receiver.TryReadMessage(entries, out _, out _) == ChannelReadStatus.Message)
                {
                    received++;
                    entries.Clear();
                }
                receiver.Reader.AdvanceToNext();
            }
        }
        RoundTrip();
        Assert.Equal(0, AllocationCounter.Steady(RoundTrip));
        Assert.True(received >= 2 * 200 * messages.Length, $"{received} received");
    }
}
