using System.Reflection;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace FastRaft.Tests.Architecture;

/// <summary>
/// One dependency rule of DESIGN.md's layers: the types of <see cref="Layer"/> (a namespace and
/// its sub-namespaces) use nothing of the FastRaft assembly outside
/// their own layer and <see cref="MayUse"/>. <see cref="ExcludingChild"/> names a sub-namespace
/// that has a rule of its own (Hosting's builder).
/// </summary>
public sealed record LayerRule(string Name, string Layer, string[] MayUse, string? ExcludingChild = null)
{
    /// <summary>
    /// What the layer must not use, as NetArchTest dependency names: every namespace of the
    /// FastRaft assembly outside the allowed ones; where an allowed namespace sits below a
    /// forbidden one (FastRaft.Core.Storage under FastRaft.Core), the forbidden namespace's own
    /// types by name instead, since a namespace name also matches everything below it.
    /// </summary>
    public string[] Forbidden(Assembly fastRaft)
    {
        string[] allowed = [Layer, .. MayUse];
        var forbidden = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Type t in fastRaft.GetTypes())
        {
            string? ns = t.Namespace;
            if (ns is null || !ns.StartsWith("FastRaft", StringComparison.Ordinal) || IsWithinAny(ns, allowed))
            {
                continue;
            }
            if (HasAllowedBelow(ns, allowed))
            {
                if (!t.IsNested)
                {
                    forbidden.Add(t.FullName!.Split('`')[0]);
                }
            }
            else
            {
                forbidden.Add(ns);
            }
        }
        return [.. forbidden];
    }

    /// <summary>
    /// Runs the rule over <paramref name="subject"/>'s types in <paramref name="layerNamespace"/>
    /// (the rule's own layer, or a fixture namespace standing for it) with the rule's forbidden
    /// names computed from the FastRaft assembly.
    /// </summary>
    public RuleOutcome Check(Assembly subject, Assembly fastRaft, string layerNamespace)
    {
        PredicateList selected = Types.InAssembly(subject).That().ResideInNamespaceMatching(WithinPattern(layerNamespace));
        if (ExcludingChild is not null)
        {
            selected = selected.And().DoNotResideInNamespaceMatching(WithinPattern(layerNamespace + "." + ExcludingChild));
        }
        int count = selected.GetTypes().Count();
        TestResult result = selected.ShouldNot().HaveDependencyOnAny(Forbidden(fastRaft)).GetResult();
        var failing = new List<string>(result.FailingTypeNames ?? []);
        failing.Sort(StringComparer.Ordinal);
        return new RuleOutcome(count, failing);
    }

    public override string ToString() => Name;

    /// <summary>The namespace or any below it, not a longer name that merely starts the same.</summary>
    private static string WithinPattern(string ns) => "^" + Regex.Escape(ns) + @"(\.|$)";

    private static bool IsWithin(string ns, string root) =>
        ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal);

    private static bool IsWithinAny(string ns, string[] roots)
    {
        foreach (string root in roots)
        {
            if (IsWithin(ns, root))
            {
                return true;
            }
        }
        return false;
    }

    private static bool HasAllowedBelow(string ns, string[] roots)
    {
        foreach (string root in roots)
        {
            if (IsWithin(root, ns))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>How many types a rule looked at and which of them broke it.</summary>
public sealed record RuleOutcome(int TypesChecked, List<string> FailingTypes)
{
    public string Describe(string rule) =>
        $"{rule}: {FailingTypes.Count} offending type(s): {string.Join(", ", FailingTypes)}";
}
