using System.Net;
using System.Security.Cryptography;
using FastRaft.Core.Logging;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>
/// A few transports on 127.0.0.1 with ephemeral ports, each knowing the others, each with a
/// recording sink. Authenticated with <see cref="TestKey"/>, as users run them, unless a test opts
/// out with <see cref="Insecure"/>.
/// </summary>
internal sealed class UdpGroup : IDisposable
{
    /// <summary>The cluster key of every group (random per test run).</summary>
    public static readonly byte[] TestKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>
    /// Makes <paramref name="o"/> run without authentication (CRC-32C only), its start-up warning
    /// silenced (UdpAuthenticationTests checks the warning).
    /// </summary>
    public static void Insecure(UdpTransportOptions o)
    {
        o.ClusterKey = null;
        o.InsecureNoAuthentication = true;
        o.Logger = RaftLogger.Null;
    }

    public Dictionary<ulong, UdpTransport> Transports { get; } = [];

    public Dictionary<ulong, RecordingSink> Sinks { get; } = [];

    public UdpGroup(int nodes, Action<UdpTransportOptions>? configure = null, bool keep = true, bool start = true)
    {
        try
        {
            for (ulong id = 1; id <= (ulong)nodes; id++)
            {
                var o = Options(id);
                configure?.Invoke(o);
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
                foreach ((ulong id, UdpTransport t) in Transports)
                {
                    t.Start(Sinks[id]);
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

    public UdpTransport this[ulong id] => Transports[id];

    public void Dispose()
    {
        foreach (UdpTransport t in Transports.Values)
        {
            t.Dispose();
        }
    }
}
