using System.Net;
using System.Net.Sockets;
using FastRaft.Core.Logging;
using FastRaft.Transport.Tcp.Security;
using Microsoft.Extensions.Logging;

namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    private long _floodLoggedAt;
    private long _floodUnlogged;

    /// <summary>Counts a refused or closed inbound connection and logs it once (nothing is formatted when the logger is off).</summary>
    private void Refuse(SecuredConnection connection, Refusal refusal)
    {
        if (!refusal.IsRefused)
        {
            return;
        }
        // Logged before it is counted: whoever sees the count finds the log line written.
        if (_log is RaftLogger log)
        {
            if (refusal.Reason is TcpRefusalReason.PeerClosed or TcpRefusalReason.Idle)
            {
                // Ordinary: a peer restarted, or a silent follower's connection timed out.
                log.Info(RaftLogEvents.TcpConnectionRefused, $"tcp transport {LocalId}: closed the connection from {connection.Remote} (node {connection.PeerId}): {ReasonTag(refusal.Reason)}: {refusal.Detail}");
            }
            else
            {
                log.Warning(RaftLogEvents.TcpConnectionRefused, $"tcp transport {LocalId}: refused the connection from {connection.Remote}{PeerSuffix(connection.PeerId)}: {ReasonTag(refusal.Reason)}: {refusal.Detail}");
            }
        }
        Counters.Count(refusal.Reason);
    }

    /// <summary>A dial that did not produce a connection; warned about when this node refused the peer and the reason is new, else logged at debug.</summary>
    private void LogDialFailure(ulong peer, EndPoint endPoint, Refusal refusal, bool repeated)
    {
        if (_log is not RaftLogger log)
        {
            return;
        }
        if (IsOwnRefusal(refusal.Reason) && !repeated)
        {
            log.Warning(RaftLogEvents.TcpConnectionRefused, $"tcp transport {LocalId}: refused node {peer} at {endPoint}: {ReasonTag(refusal.Reason)}: {refusal.Detail}");
        }
        else if (refusal.IsRefused)
        {
            log.Debug($"tcp transport {LocalId}: could not connect to node {peer} at {endPoint}: {ReasonTag(refusal.Reason)}: {refusal.Detail}");
        }
        else
        {
            log.Debug($"tcp transport {LocalId}: could not connect to node {peer} at {endPoint}: {refusal.Detail}");
        }
    }

    /// <summary>Whether this node (not the peer, nor the network) refused a dialled connection: counted under its reason.</summary>
    private static bool IsOwnRefusal(TcpRefusalReason reason) => reason is TcpRefusalReason.UnexpectedPeer or TcpRefusalReason.BadProof
        or TcpRefusalReason.CertificateMissing or TcpRefusalReason.CertificateUntrusted or TcpRefusalReason.CertificateExpired
        or TcpRefusalReason.CertificateNotPinned or TcpRefusalReason.CertificateNameMismatch;

    private void LogForged(SecuredConnection connection, ulong peer, ulong claimed) =>
        _log?.Warning(RaftLogEvents.TcpForgedSender, $"tcp transport {LocalId}: node {peer} at {connection.Remote} sent messages claiming to be from node {claimed}: {ReasonTag(TcpRefusalReason.ForgedSender)} (dropped; logged once per connection)");

    /// <summary>A flood is logged at most once a second, with how many refusals the line stands for.</summary>
    private void LogFlood(Socket socket)
    {
        if (_log is not RaftLogger log || !log.IsEnabled(LogLevel.Warning))
        {
            return;
        }
        long now = _options.Time.GetTimestamp();
        long last = Volatile.Read(ref _floodLoggedAt);
        if (last != 0 && _options.Time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1))
        {
            Interlocked.Increment(ref _floodUnlogged);
            return;
        }
        Volatile.Write(ref _floodLoggedAt, now);
        long more = Interlocked.Exchange(ref _floodUnlogged, 0);
        log.Warning(RaftLogEvents.TcpConnectionFlood, $"tcp transport {LocalId}: refused the connection from {RemoteOf(socket)}: {ReasonTag(TcpRefusalReason.TooManyConnections)}: {_options.MaxInboundConnections} are open{(more > 0 ? $" ({more} more refused since the last such line)" : "")}");
    }

    private void WarnInsecure()
    {
        string warning = $"WARNING: FastRaft TCP transport of node {LocalId} on {LocalEndPoint} runs WITHOUT AUTHENTICATION "
            + "(TcpTransportOptions.InsecureNoAuthentication): anyone who can connect to this port can inject Raft messages "
            + "and steer the cluster. Set TcpTransportOptions.Tls (mutual TLS) or ClusterKey (the same 32 random bytes on every node) instead.";
        if (_log is RaftLogger logger)
        {
            logger.Warning(RaftLogEvents.TcpInsecure, $"{warning}");
        }
        else
        {
            Console.Error.WriteLine(warning);
        }
    }

    private static string ReasonTag(TcpRefusalReason reason) => TcpTransportMetrics.TagOf(reason);

    private static string PeerSuffix(ulong peer) => peer == 0 ? "" : $" (node {peer})";

    private static EndPoint? RemoteOf(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }
}
