using System.Net;
using System.Net.Sockets;

namespace FastRaft.Sample.Cluster;

/// <summary>A node could not listen on one of its ports; the message names the port, which one, and why.</summary>
public sealed class PortBindException : IOException
{
    /// <param name="protocol">"UDP" or "TCP", for the message.</param>
    public PortBindException(string purpose, IPEndPoint endPoint, SocketException inner, string protocol = "UDP")
        : base(Describe(purpose, endPoint, inner, protocol), inner)
    {
        EndPoint = endPoint;
        Error = inner.SocketErrorCode;
    }

    /// <summary>The address the node tried to bind.</summary>
    public IPEndPoint EndPoint { get; }

    public SocketError Error { get; }

    private static string Describe(string purpose, IPEndPoint endPoint, SocketException e, string protocol) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse =>
            $"cannot listen for {purpose} on {endPoint}: {protocol} port {endPoint.Port} is already in use (another node or program has it)",
        SocketError.AddressNotAvailable =>
            $"cannot listen for {purpose} on {endPoint}: {endPoint.Address} is not an address of this machine",
        SocketError.AccessDenied =>
            $"cannot listen for {purpose} on {endPoint}: permission denied (ports below 1024 need privileges)",
        _ => $"cannot listen for {purpose} on {endPoint}: {e.Message}",
    };
}
