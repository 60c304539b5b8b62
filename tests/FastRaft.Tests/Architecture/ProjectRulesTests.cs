using System.Net.Sockets;
using System.Reflection;
using FastRaft.Core;
using FastRaft.Sample.Matching;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;
using NetArchTest.Rules;

namespace FastRaft.Tests.Architecture;

/// <summary>
/// The design's rules between projects: FastRaft knows no transport and no application, the
/// transports do not know each other or the sample, and FastRaft itself uses no socket. Each
/// check is also run where the rule does not hold (the sample references the UDP transport, the
/// UDP transport uses sockets) to show that it reports what it finds.
/// </summary>
public class ProjectRulesTests
{
    private static readonly Assembly FastRaftAssembly = typeof(RawNode).Assembly;
    private static readonly Assembly Udp = typeof(UdpTransport).Assembly;
    private static readonly Assembly Tcp = typeof(TcpTransport).Assembly;
    private static readonly Assembly Sample = typeof(MatchingEngine).Assembly;

    [Fact]
    public void FastRaft_references_no_transport_and_not_the_sample()
    {
        List<string> offences = References(FastRaftAssembly, Udp, Tcp, Sample);
        Assert.True(offences.Count == 0, string.Join("; ", offences));
    }

    [Fact]
    public void The_transports_reference_neither_each_other_nor_the_sample()
    {
        List<string> offences = [.. References(Udp, Tcp, Sample), .. References(Tcp, Udp, Sample)];
        Assert.True(offences.Count == 0, string.Join("; ", offences));
    }

    [Fact]
    public void The_reference_check_reports_the_sample_using_the_UDP_transport()
    {
        List<string> offences = References(Sample, Udp);
        Assert.Contains("FastRaft.Sample references FastRaft.Transport.Udp", offences);
        Assert.Contains(offences, o => o.StartsWith("type FastRaft.Sample.", StringComparison.Ordinal));
    }

    /// <summary>
    /// Not "no System.Net.Sockets at all": the stream framing (Codec/Framing/FrameStreamWriter)
    /// catches <see cref="SocketException"/>, which a socket-backed PipeWriter throws when the
    /// peer resets. That type lives in System.Net.Primitives; no socket is ever touched.
    /// </summary>
    [Fact]
    public void FastRaft_uses_no_socket_type_but_SocketException()
    {
        List<string> offences = SocketUse(FastRaftAssembly);
        Assert.True(offences.Count == 0, string.Join("; ", offences));
    }

    [Fact]
    public void The_socket_check_reports_the_UDP_transport()
    {
        List<string> offences = SocketUse(Udp);
        Assert.Contains("FastRaft.Transport.Udp references System.Net.Sockets", offences);
        Assert.Contains("type FastRaft.Transport.Udp.UdpTransport uses sockets", offences);
    }

    /// <summary>What of <paramref name="forbidden"/> <paramref name="subject"/> references: the assemblies, then the types that use them.</summary>
    private static List<string> References(Assembly subject, params Assembly[] forbidden)
    {
        var offences = new List<string>();
        string subjectName = subject.GetName().Name!;
        foreach (Assembly f in forbidden)
        {
            string name = f.GetName().Name!;
            foreach (AssemblyName referenced in subject.GetReferencedAssemblies())
            {
                if (referenced.Name == name)
                {
                    offences.Add($"{subjectName} references {name}");
                }
            }
            AddFailingTypes(offences, subject, NamespacesOf(f), $"uses {name}");
        }
        return offences;
    }

    private static List<string> SocketUse(Assembly subject)
    {
        var offences = new List<string>();
        string subjectName = subject.GetName().Name!;
        foreach (AssemblyName referenced in subject.GetReferencedAssemblies())
        {
            if (referenced.Name == "System.Net.Sockets")
            {
                offences.Add($"{subjectName} references System.Net.Sockets");
            }
        }
        // Every public type of the namespace, wherever it lives, but SocketException.
        var socketTypes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Assembly a in new[] { typeof(Socket).Assembly, typeof(SocketException).Assembly })
        {
            foreach (Type t in a.GetExportedTypes())
            {
                if (t.Namespace == "System.Net.Sockets" && t != typeof(SocketException) && !t.IsNested)
                {
                    socketTypes.Add(t.FullName!);
                }
            }
        }
        AddFailingTypes(offences, subject, [.. socketTypes], "uses sockets");
        return offences;
    }

    private static void AddFailingTypes(List<string> offences, Assembly subject, string[] dependencies, string what)
    {
        TestResult result = Types.InAssembly(subject).ShouldNot().HaveDependencyOnAny(dependencies).GetResult();
        var failing = new List<string>(result.FailingTypeNames ?? []);
        failing.Sort(StringComparer.Ordinal);
        foreach (string type in failing)
        {
            offences.Add($"type {type} {what}");
        }
    }

    private static string[] NamespacesOf(Assembly assembly)
    {
        var namespaces = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Type t in assembly.GetTypes())
        {
            if (t.Namespace is { } ns && ns.StartsWith("FastRaft", StringComparison.Ordinal))
            {
                namespaces.Add(ns);
            }
        }
        return [.. namespaces];
    }
}
