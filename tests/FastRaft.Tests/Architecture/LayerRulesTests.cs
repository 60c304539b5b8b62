using System.Reflection;
using System.Runtime.CompilerServices;
using FastRaft.Core;

namespace FastRaft.Tests.Architecture;

/// <summary>
/// DESIGN.md's dependency rules between the namespaces of the FastRaft assembly, checked with
/// NetArchTest over the compiled types (signatures and method bodies). Each rule also runs over a
/// fixture namespace of this assembly that breaks it on purpose (LayerFixtures.cs), so every rule
/// is shown to fail, naming the offending type, when a violation is reintroduced.
/// </summary>
/// <remarks>
/// Diagnostics has no rule of its own: it may read everything. No rule lets a layer use it, so
/// nothing in FastRaft calls Diagnostics, the core least of all.
/// </remarks>
public class LayerRulesTests
{
    private const string Protocol = "FastRaft.Protocol";
    private const string Core = "FastRaft.Core";
    private const string Codec = "FastRaft.Codec";
    private const string Storage = "FastRaft.Storage";
    private const string Hosting = "FastRaft.Hosting";
    private const string Diagnostics = "FastRaft.Diagnostics";
    private const string FixtureRoot = "FastRaft.Tests.Architecture.Fixtures.";

    private static readonly Assembly FastRaftAssembly = typeof(RawNode).Assembly;
    private static readonly Assembly TestAssembly = typeof(LayerRulesTests).Assembly;

    private sealed record Case(LayerRule Rule, string Fixture, string[] Violators, bool MayBeEmpty = false);

    private static readonly Case[] Cases =
    [
        new(new LayerRule("Protocol depends on nothing else of FastRaft", Protocol, []),
            "ProtocolLayer", ["ProtocolTypeUsingCore"]),
        new(new LayerRule("Core depends only on Protocol (and never calls Diagnostics)", Core, [Protocol]),
            "CoreLayer", ["CoreTypeCallingDiagnostics"]),
        new(new LayerRule("Codec depends only on Protocol", Codec, [Protocol]),
            "CodecLayer", ["CodecTypeUsingCore"]),
        // The logger front (Core.Logging) is the one cross-cutting part of the core that storages
        // use besides the contract: the write-ahead log logs recovery and sync failures.
        new(new LayerRule("Storage depends only on Core's storage contract, Core's logger front and Protocol", Storage,
                [$"{Core}.Storage", $"{Core}.Logging", Protocol]),
            "StorageLayer", ["StorageTypeUsingHosting", "StorageTypeUsingRawNode"]),
        new(new LayerRule("Hosting depends only on Core, Protocol and Codec", Hosting, [Core, Protocol, Codec], ExcludingChild: "Building"),
            "HostingLayer", ["HostingTypeUsingMemoryStorage"]),
        // The builder that wires node, storage and transport is a composition root: it may name
        // the storages (a default MemoryStorage), which the rest of Hosting never does.
        new(new LayerRule("Hosting's builder depends only on Hosting, Core, Protocol, Codec and Storage", $"{Hosting}.Building",
                [Hosting, Core, Protocol, Codec, Storage]),
            "HostingLayer.Building", ["BuilderCallingDiagnostics"], MayBeEmpty: true),
    ];

    private static readonly string[] Layers = [Protocol, Core, Codec, Storage, Hosting, Diagnostics];

    public static TheoryData<string> RuleNames()
    {
        var data = new TheoryData<string>();
        foreach (Case c in Cases)
        {
            data.Add(c.Rule.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RuleNames))]
    public void FastRaft_keeps_the_rule(string rule)
    {
        Case c = Find(rule);
        RuleOutcome outcome = c.Rule.Check(FastRaftAssembly, FastRaftAssembly, c.Rule.Layer);
        Assert.True(outcome.FailingTypes.Count == 0, outcome.Describe(rule));
        // A misspelt layer would select nothing and pass for nothing.
        Assert.True(c.MayBeEmpty || outcome.TypesChecked > 0, $"{rule}: no type in {c.Rule.Layer}");
    }

    [Theory]
    [MemberData(nameof(RuleNames))]
    public void The_rule_reports_a_type_that_breaks_it(string rule)
    {
        Case c = Find(rule);
        string fixture = FixtureRoot + c.Fixture;
        RuleOutcome outcome = c.Rule.Check(TestAssembly, FastRaftAssembly, fixture);

        var expected = new List<string>();
        foreach (string name in c.Violators)
        {
            expected.Add($"{fixture}.{name}");
        }
        // Exactly the violators: the allowed fixtures beside them pass the same check.
        Assert.Equal(expected, outcome.FailingTypes);
        Assert.True(outcome.TypesChecked > expected.Count, $"{rule}: the fixture has no allowed type");
        Assert.Contains(expected[0], outcome.Describe(rule));
    }

    [Fact]
    public void Every_FastRaft_type_belongs_to_a_layer()
    {
        List<string> outside = TypesOutsideLayers(FastRaftAssembly);
        Assert.True(outside.Count == 0, $"types outside {string.Join(", ", Layers)}: {string.Join(", ", outside)}");
    }

    [Fact]
    public void The_layer_membership_check_reports_types_outside_the_layers()
    {
        List<string> outside = TypesOutsideLayers(TestAssembly);
        Assert.Contains(typeof(LayerRulesTests).FullName!, outside);
    }

    private static Case Find(string rule)
    {
        foreach (Case c in Cases)
        {
            if (c.Rule.Name == rule)
            {
                return c;
            }
        }
        throw new ArgumentException($"no rule named '{rule}'", nameof(rule));
    }

    private static List<string> TypesOutsideLayers(Assembly assembly)
    {
        var outside = new List<string>();
        foreach (Type t in assembly.GetTypes())
        {
            // The compiler's own types (<PrivateImplementationDetails>, embedded attributes) are nobody's layer.
            if (t.IsNested || t.IsDefined(typeof(CompilerGeneratedAttribute), false) || t.Namespace is null
                || t.Namespace.StartsWith("System", StringComparison.Ordinal) || t.Namespace.StartsWith("Microsoft", StringComparison.Ordinal))
            {
                continue;
            }
            bool inLayer = false;
            foreach (string layer in Layers)
            {
                inLayer |= t.Namespace == layer || t.Namespace.StartsWith(layer + ".", StringComparison.Ordinal);
            }
            if (!inLayer)
            {
                outside.Add(t.FullName!);
            }
        }
        outside.Sort(StringComparer.Ordinal);
        return outside;
    }
}
