using System.Net;
using System.Security.Cryptography;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>How the transports of a test receive.</summary>
public enum UdpMode
{
    /// <summary>A receive thread per transport (<see cref="UdpTransportOptions.ReceiveThread"/>).</summary>
    Threaded,

    /// <summary>Polled, each by a <see cref="PollPump"/> of its own (as an agent runner would).</summary>
    Polled,

    /// <summary>Polled by the test itself, on its own thread (<see cref="UdpGroup.PollAll"/>).</summary>
    Manual,
}

/// <summary>
/// A few transports on 127.0.0.1 with ephemeral ports, each knowing the others, each with a
/// recording sink, receiving in the given <see cref="UdpMode"/>. Authenticated with
/// <see cref="TestKey"/>, as users run them, unless a test opts out with <see cref="Insecure"/>.
/// </summary>
internal sealed class UdpGroup : IDisposable
{
    /// <summary>How long a pump waits when idle: about a node's tick.</summary>
    private static readonly TimeSpan PumpIdleWait = TimeSpan.FromMilliseconds(10);

    private readonly Dictionary<ulong, PollPump> _pumps = [];
    private readonly Dictionary<ulong, TimeProvider> _clocks = [];

    /// <summary>The cluster key of every group (random per test run).</summary>
    public static readonly byte[] TestKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>
    /// Makes <paramref name="o"/> run without authentication (CRC-32C only), its start-up warning
    /// silenced (UdpAuthenticationTests checks the warning).
    /// </summary>
    public static UdpTransportOptions Insecure(UdpTransportOptions o) =>
        o with { ClusterKey = null, InsecureNoAuthentication = true, Logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance };

    public Dictionary<ulong, UdpTransport> Transports { get; } = [];

    public Dictionary<ulong, RecordingSink> Sinks { get; } = [];

    public UdpGroup(int nodes, Func<UdpTransportOptions, UdpTransportOptions>? configure = null, bool keep = true, bool start = true, UdpMode mode = UdpMode.Threaded)
    {
        Mode = mode;
        try
        {
            for (ulong id = 1; id <= (ulong)nodes; id++)
            {
                UdpTransportOptions o = Options(id) with { ReceiveThread = mode == UdpMode.Threaded };
                o = configure?.Invoke(o) ?? o;
                _clocks[id] = o.Time;
                Transports[id] = new UdpTransport(o);
                Sinks[id] = new RecordingSink { Keep = keep };
            }
            foreach ((ulong id, UdpTransport t) in Transports)
            {
                foreach ((ulong other, UdpTransport o) in Transports)
                {
                    if (other != id)
                    {
                        t.SetPeer(other, o.LocalEndPoint);
                    }
                }
            }
            if (start)
            {
                foreach (ulong id in Transports.Keys)
                {
                    Start(id);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static UdpTransportOptions Options(ulong id) => new()
    {
        LocalId = id,
        ClusterId = 77,
        Bind = new IPEndPoint(IPAddress.Loopback, 0),
        ClusterKey = TestKey,
    };

    public UdpMode Mode { get; }

    public UdpTransport this[ulong id] => Transports[id];

    /// <summary>Starts a transport with <paramref name="sink"/> (its recording sink by default), and its pump when polled.</summary>
    public void Start(ulong id, FastRaft.Hosting.ITransportSink? sink = null)
    {
        Transports[id].Start(sink ?? Sinks[id]);
        if (Mode == UdpMode.Polled)
        {
            _pumps[id] = new PollPump(Transports[id], _clocks[id], PumpIdleWait);
        }
    }

    /// <summary>Manual mode: one poll of every transport, at each one's clock. Returns the work done.</summary>
    public int PollAll()
    {
        int work = 0;
        foreach ((ulong id, UdpTransport t) in Transports)
        {
            work += t.Poll(_clocks[id].GetTimestamp());
        }
        return work;
    }

    /// <summary>Manual mode: polls every transport until <paramref name="condition"/> holds (bounded); false on timeout.</summary>
    public bool PollUntil(Func<bool> condition, TimeSpan? timeout = null)
    {
        long deadline = Environment.TickCount64 + (long)(timeout ?? Wait.Default).TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            if (PollAll() == 0)
            {
                Thread.Yield();
            }
        }
        return true;
    }

    /// <summary>Duty cycles a pump has run (polled mode).</summary>
    public long PumpCycles(ulong id) => _pumps[id].Cycles;

    public void Dispose()
    {
        foreach (PollPump p in _pumps.Values)
        {
            p.Dispose();
        }
        foreach (UdpTransport t in Transports.Values)
        {
            t.Dispose();
        }
    }
}
