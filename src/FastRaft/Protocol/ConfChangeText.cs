using System.Globalization;
using System.Text;

namespace FastRaft.Protocol;

/// <summary>
/// The compact text form of configuration changes used by tests and tools: space-separated
/// operations <c>vN</c> (make N a voter), <c>lN</c> (learner), <c>rN</c> (remove), <c>uN</c> (update).
/// </summary>
public static class ConfChangeText
{
    /// <summary>Parses the text form; false on a malformed token.</summary>
    public static bool TryParse(string text, out ConfChangeSingle[] changes) => TryParse(text, out changes, out _);

    /// <summary>Parses the text form; returns false with a reason on a malformed token.</summary>
    internal static bool TryParse(string text, out ConfChangeSingle[] changes, out string? error)
    {
        var list = new List<ConfChangeSingle>();
        foreach (string token in text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.Length < 2)
            {
                return Fail($"unknown token {token}", out changes, out error);
            }
            ConfChangeType type;
            switch (token[0])
            {
                case 'v': type = ConfChangeType.AddNode; break;
                case 'l': type = ConfChangeType.AddLearnerNode; break;
                case 'r': type = ConfChangeType.RemoveNode; break;
                case 'u': type = ConfChangeType.UpdateNode; break;
                default: return Fail($"unknown input: {token}", out changes, out error);
            }
            if (!ulong.TryParse(token.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong id))
            {
                return Fail($"invalid node id in {token}", out changes, out error);
            }
            list.Add(new ConfChangeSingle(type, id));
        }
        changes = [.. list];
        error = null;
        return true;
    }

    /// <summary>Parses the text form, throwing <see cref="FormatException"/> on malformed input.</summary>
    public static ConfChangeSingle[] Parse(string text) =>
        TryParse(text, out ConfChangeSingle[] changes, out string? error) ? changes : throw new FormatException(error);

    /// <summary>The inverse of <see cref="Parse"/>.</summary>
    public static string Format(ReadOnlySpan<ConfChangeSingle> changes)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < changes.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }
            sb.Append(changes[i].Type switch
            {
                ConfChangeType.AddNode => "v",
                ConfChangeType.AddLearnerNode => "l",
                ConfChangeType.RemoveNode => "r",
                ConfChangeType.UpdateNode => "u",
                _ => "unknown",
            });
            sb.Append(changes[i].NodeId.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static bool Fail(string message, out ConfChangeSingle[] changes, out string? error)
    {
        changes = [];
        error = message;
        return false;
    }
}
