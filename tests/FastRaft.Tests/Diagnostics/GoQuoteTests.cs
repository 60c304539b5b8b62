using System.Text;
using FastRaft.Diagnostics;

namespace FastRaft.Tests.Diagnostics;

// Expected values follow Go's strconv.Quote documentation and its published quote tests.
public class GoQuoteTests
{
    private static string Q(string utf8) => GoQuote.Quote(Encoding.UTF8.GetBytes(utf8));

    private static string Q(params byte[] bytes) => GoQuote.Quote(bytes);

    [Fact]
    public void EmptyInputIsTwoQuotes() => Assert.Equal("\"\"", Q(Array.Empty<byte>()));

    [Fact]
    public void PrintableAsciiIsKept() => Assert.Equal("\"prop_1_2 x=y!\"", Q("prop_1_2 x=y!"));

    [Fact]
    public void CEscapesForTheSevenControlCharacters() =>
        Assert.Equal(@"""\a\b\f\r\n\t\v""", Q("\a\b\f\r\n\t\v"));

    [Fact]
    public void QuoteAndBackslashAreEscaped() => Assert.Equal(@"""a\""b\\c""", Q("a\"b\\c"));

    [Fact]
    public void SingleQuoteIsNotEscapedInADoubleQuotedString() => Assert.Equal("\"it's\"", Q("it's"));

    [Fact]
    public void OtherControlBytesAreHex() => Assert.Equal(@"""\x00\x04\x1b\x7f""", Q(0x00, 0x04, 0x1b, 0x7f));

    [Fact]
    public void InvalidUtf8BytesAreHexLowercase() =>
        Assert.Equal(@"""abc\xffdef""", Q((byte)'a', (byte)'b', (byte)'c', 0xff, (byte)'d', (byte)'e', (byte)'f'));

    [Fact]
    public void EachByteOfAnInvalidSequenceIsEscapedSeparately()
    {
        // A truncated 3-byte sequence followed by ASCII: Go escapes one byte at a time.
        Assert.Equal(@"""a\xe0\xa0z""", Q((byte)'a', 0xe0, 0xa0, (byte)'z'));
        // An encoded surrogate (U+D800) is invalid UTF-8.
        Assert.Equal(@"""\xed\xa0\x80""", Q(0xed, 0xa0, 0x80));
        // An overlong encoding of '/' is invalid.
        Assert.Equal(@"""\xc0\xaf""", Q(0xc0, 0xaf));
        // A lone continuation byte.
        Assert.Equal(@"""\x80""", Q(0x80));
    }

    [Fact]
    public void PrintableNonAsciiRunesAreKept()
    {
        Assert.Equal("\"☺\"", Q("\u263a"));
        Assert.Equal("\"ÿé日本\"", Q("ÿé日本"));
        Assert.Equal("\"\U0001F600\"", Q("\U0001F600"));
        // U+FFFD encoded properly is a printable symbol, not an error.
        Assert.Equal("\"\uFFFD\"", Q("\uFFFD"));
    }

    [Fact]
    public void NonPrintableRunesUseUnicodeEscapes()
    {
        // Spaces other than ASCII space are graphic but not printable.
        Assert.Equal(@"""!\u00a0!\u2000!\u3000!""", Q("!\u00a0!\u2000!\u3000!"));
        // Soft hyphen, a format character below 0x100.
        Assert.Equal(@"""\u00ad""", Q("\u00ad"));
        // C1 control.
        Assert.Equal(@"""\u0085""", Q("\u0085"));
        // Byte order mark (format).
        Assert.Equal(@"""\ufeffabc""", Q("\ufeffabc"));
        // Noncharacter beyond the BMP.
        Assert.Equal(@"""\U0010ffff""", Q("\U0010ffff"));
        // Private use.
        Assert.Equal(@"""\ue000""", Q("\ue000"));
    }

    [Fact]
    public void IsPrintMatchesGoForLatin1Range()
    {
        for (int r = 0; r <= 0xFF; r++)
        {
            bool expected = (r >= 0x20 && r <= 0x7E) || (r >= 0xA1 && r != 0xAD);
            Assert.Equal(expected, GoQuote.IsPrint(r));
        }
    }

    [Fact]
    public void AppendQuotedAppendsToExistingText()
    {
        var sb = new StringBuilder("x=");
        GoQuote.AppendQuoted(sb, "a\n"u8);
        Assert.Equal("x=\"a\\n\"", sb.ToString());
    }
}
