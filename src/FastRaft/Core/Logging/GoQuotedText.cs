using System.Buffers;
using System.Globalization;
using System.Text;

namespace FastRaft.Core.Logging;

/// <summary>
/// Go's double-quoted string syntax (<c>strconv.Quote</c>, and so <c>fmt.Sprintf("%q", []byte)</c>),
/// which etcd's describe formats use for entry payloads. Printable runes of valid UTF-8 are kept,
/// the usual C escapes are used where Go has them, other control and invalid bytes become
/// <c>\xNN</c>, and non-printable runes <c>\uNNNN</c> or <c>\UNNNNNNNN</c>.
/// </summary>
/// <remarks>
/// "Printable" is Go's definition (letters, marks, numbers, punctuation, symbols and the ASCII
/// space), evaluated against .NET's Unicode tables; a character assigned in a Unicode version
/// newer than Go's tables could therefore be classified differently.
/// <para>
/// It lives in the core because the core's own log lines quote payloads the way etcd's do
/// (<see cref="Core.ConfChangeLogText"/>); <see cref="Diagnostics.GoQuote"/> exposes it, and the
/// core never calls Diagnostics.
/// </para>
/// </remarks>
internal static class GoQuotedText
{
    private const string LowerHex = "0123456789abcdef";

    public static string Quote(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder(data.Length + 2);
        AppendQuoted(sb, data);
        return sb.ToString();
    }

    /// <summary>Appends the quoted form of <paramref name="data"/>, quotes included.</summary>
    public static void AppendQuoted(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        sb.Append('"');
        int i = 0;
        while (i < data.Length)
        {
            byte b = data[i];
            if (b < 0x80)
            {
                AppendRune(sb, b);
                i++;
                continue;
            }
            // Go decodes one rune; on any invalid or truncated sequence it escapes exactly one
            // byte and resynchronises on the next (unlike .NET, which may skip a longer prefix).
            if (Rune.DecodeFromUtf8(data[i..], out Rune r, out int consumed) != OperationStatus.Done)
            {
                AppendHexByte(sb, b);
                i++;
                continue;
            }
            AppendRune(sb, r.Value);
            i += consumed;
        }
        sb.Append('"');
    }

    /// <summary>Go's <c>strconv.IsPrint</c>.</summary>
    public static bool IsPrint(int r)
    {
        if (r <= 0xFF)
        {
            return (r >= 0x20 && r <= 0x7E) || (r >= 0xA1 && r != 0xAD);
        }
        if (!Rune.IsValid(r))
        {
            return false;
        }
        switch (Rune.GetUnicodeCategory(new Rune(r)))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
            case UnicodeCategory.MathSymbol:
            case UnicodeCategory.CurrencySymbol:
            case UnicodeCategory.ModifierSymbol:
            case UnicodeCategory.OtherSymbol:
                return true;
            default:
                return false;
        }
    }

    private static void AppendRune(StringBuilder sb, int r)
    {
        if (r == '"' || r == '\\')
        {
            sb.Append('\\').Append((char)r);
            return;
        }
        if (IsPrint(r))
        {
            if (r < 0x10000)
            {
                sb.Append((char)r);
            }
            else
            {
                Span<char> pair = stackalloc char[2];
                int n = new Rune(r).EncodeToUtf16(pair);
                sb.Append(pair[..n]);
            }
            return;
        }
        switch (r)
        {
            case '\a': sb.Append("\\a"); return;
            case '\b': sb.Append("\\b"); return;
            case '\f': sb.Append("\\f"); return;
            case '\n': sb.Append("\\n"); return;
            case '\r': sb.Append("\\r"); return;
            case '\t': sb.Append("\\t"); return;
            case '\v': sb.Append("\\v"); return;
        }
        if (r < ' ' || r == 0x7F)
        {
            AppendHexByte(sb, (byte)r);
        }
        else if (r < 0x10000)
        {
            sb.Append("\\u");
            AppendHexDigits(sb, r, 4);
        }
        else
        {
            sb.Append("\\U");
            AppendHexDigits(sb, r, 8);
        }
    }

    private static void AppendHexByte(StringBuilder sb, byte b) =>
        sb.Append("\\x").Append(LowerHex[b >> 4]).Append(LowerHex[b & 0xF]);

    private static void AppendHexDigits(StringBuilder sb, int value, int digits)
    {
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
        {
            sb.Append(LowerHex[(value >> shift) & 0xF]);
        }
    }
}
