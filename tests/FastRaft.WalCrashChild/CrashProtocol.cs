using System.Globalization;

namespace FastRaft.WalCrashChild;

/// <summary>
/// The lines the child prints. Each ends with a marker token so that a line cut short by the
/// kill is never mistaken for a complete one.
/// </summary>
public static class CrashProtocol
{
    public const string End = "E";

    /// <summary>"O first last E": the log was opened.</summary>
    public static string Opened(ulong first, ulong last) => string.Create(CultureInfo.InvariantCulture, $"O {first} {last} {End}");

    /// <summary>"D index term E": every entry up to index is durable and will not change; index has term.</summary>
    public static string Durable(ulong index, ulong term) => string.Create(CultureInfo.InvariantCulture, $"D {index} {term} {End}");

    /// <summary>"C index E": printed just before compacting to index (the compaction may or may not survive a kill that follows).</summary>
    public static string Compacting(ulong index) => string.Create(CultureInfo.InvariantCulture, $"C {index} {End}");

    public static bool TryParseCompacting(string? line, out ulong index)
    {
        index = 0;
        string[] parts = line?.Split(' ') ?? [];
        return parts.Length == 3 && parts[0] == "C" && parts[2] == End
            && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    public static bool TryParseDurable(string? line, out ulong index, out ulong term)
    {
        index = term = 0;
        string[] parts = line?.Split(' ') ?? [];
        return parts.Length == 4 && parts[0] == "D" && parts[3] == End
            && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out index)
            && ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out term);
    }
}
