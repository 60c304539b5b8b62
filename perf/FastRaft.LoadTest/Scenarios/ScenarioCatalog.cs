using System.Reflection;

namespace FastRaft.LoadTest.Scenarios;

/// <summary>Every <see cref="LoadScenario"/> in this assembly, found by reflection.</summary>
public static class ScenarioCatalog
{
    public const string InMemoryLogGroup = "in-memory log";
    public const string WriteAheadLogGroup = "write-ahead log";

    /// <summary>The sample application through its client gateway: compared with nothing.</summary>
    public const string SampleGatewayGroup = "sample gateway";

    private static readonly Lazy<IReadOnlyList<LoadScenario>> s_all = new(Discover);

    public static IReadOnlyList<LoadScenario> All => s_all.Value;

    /// <summary>Resolves <c>all</c>, a name, or a comma-separated list of names; null with an error when a name is unknown.</summary>
    public static IReadOnlyList<LoadScenario>? Resolve(string selection, out string? error)
    {
        error = null;
        if (string.Equals(selection, "all", StringComparison.OrdinalIgnoreCase))
        {
            return All;
        }
        var chosen = new List<LoadScenario>();
        foreach (string part in selection.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            LoadScenario? found = null;
            foreach (LoadScenario s in All)
            {
                if (string.Equals(s.Name, part, StringComparison.OrdinalIgnoreCase))
                {
                    found = s;
                }
            }
            if (found is null)
            {
                error = $"unknown scenario '{part}'; known: all, {string.Join(", ", All.Select(s => s.Name))}";
                return null;
            }
            if (!chosen.Contains(found))
            {
                chosen.Add(found);
            }
        }
        if (chosen.Count == 0)
        {
            error = "no scenario named";
            return null;
        }
        return chosen;
    }

    private static IReadOnlyList<LoadScenario> Discover()
    {
        var found = new List<LoadScenario>();
        foreach (Type t in typeof(LoadScenario).Assembly.GetTypes())
        {
            if (t.IsSubclassOf(typeof(LoadScenario)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is ConstructorInfo ctor)
            {
                found.Add((LoadScenario)ctor.Invoke(null));
            }
        }
        found.Sort(static (a, b) => a.Order != b.Order ? a.Order.CompareTo(b.Order) : string.CompareOrdinal(a.Name, b.Name));
        return found;
    }
}
