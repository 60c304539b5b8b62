using System.Globalization;
using System.Net;
using System.Text;

namespace FastRaft.LoadTest.Reports;

/// <summary>One line of a chart.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// A line chart as standalone SVG text (no scripts, no external references): axes with ticks,
/// optional log-10 y axis, custom x tick labels, and a legend.
/// </summary>
public sealed class SvgChart
{
    private static readonly string[] s_palette =
        ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

    private const int Width = 760;
    private const int Height = 360;
    private const int Left = 72;
    private const int Right = 190;
    private const int Top = 34;
    private const int Bottom = 48;

    public required string Title { get; init; }

    public required string XLabel { get; init; }

    public required string YLabel { get; init; }

    public bool LogY { get; init; }

    /// <summary>Whether x values are whole numbers (seconds), so x ticks are too.</summary>
    public bool IntegerX { get; init; }

    /// <summary>Fixed x ticks (value, label); null for evenly spaced numeric ticks.</summary>
    public IReadOnlyList<(double X, string Label)>? XTicks { get; init; }

    public List<ChartSeries> Series { get; } = [];

    public string Render()
    {
        var points = Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogY || p.Y > 0)).ToList();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{Escape(Title)}</title>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Escape(Title)}</text>");
        if (points.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no data</text></svg>");
            return sb.ToString();
        }

        double xMin = XTicks?.Min(t => t.X) ?? points.Min(p => p.X);
        double xMax = Math.Max(XTicks?.Max(t => t.X) ?? double.MinValue, points.Max(p => p.X));
        if (xMax <= xMin)
        {
            xMax = xMin + 1;
        }
        (double yMin, double yMax) = YRange(points);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Sx(double x) => Left + ((x - xMin) / (xMax - xMin) * plotW);
        double Sy(double y)
        {
            double v = LogY ? Math.Log10(y) : y;
            double lo = LogY ? Math.Log10(yMin) : yMin, hi = LogY ? Math.Log10(yMax) : yMax;
            return Top + plotH - ((v - lo) / (hi - lo) * plotH);
        }

        // Grid and y ticks.
        foreach (double y in YTicks(yMin, yMax))
        {
            double py = Sy(y);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{py:0.#}\" x2=\"{Left + plotW}\" y2=\"{py:0.#}\" stroke=\"#e5e5e5\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{py + 4:0.#}\" text-anchor=\"end\">{Escape(Tick(y))}</text>");
        }
        IEnumerable<(double X, string Label)> xTicks = XTicks ?? NumericXTicks(xMin, xMax, IntegerX);
        foreach ((double x, string label) in xTicks)
        {
            double px = Sx(x);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:0.#}\" y1=\"{Top}\" x2=\"{px:0.#}\" y2=\"{Top + plotH}\" stroke=\"#f0f0f0\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{px:0.#}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{Escape(label)}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#888\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 8}\" text-anchor=\"middle\">{Escape(XLabel)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{Top + (plotH / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {Top + (plotH / 2)})\">{Escape(YLabel)}</text>");

        for (int i = 0; i < Series.Count; i++)
        {
            string color = s_palette[i % s_palette.Length];
            var path = new StringBuilder();
            foreach ((double x, double y) in Series[i].Points)
            {
                if (!double.IsFinite(x) || !double.IsFinite(y) || (LogY && y <= 0))
                {
                    continue;
                }
                path.Append(path.Length == 0 ? 'M' : 'L');
                path.Append(CultureInfo.InvariantCulture, $"{Sx(x):0.#},{Sy(Math.Clamp(y, yMin, yMax)):0.#} ");
            }
            if (path.Length > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<path d=\"{path.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\"/>");
            }
            double ly = Top + 8 + (i * 18);
            double lx = Left + plotW + 12;
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx:0.#}\" y1=\"{ly:0.#}\" x2=\"{lx + 18:0.#}\" y2=\"{ly:0.#}\" stroke=\"{color}\" stroke-width=\"3\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{lx + 24:0.#}\" y=\"{ly + 4:0.#}\">{Escape(Series[i].Name)}</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private (double Min, double Max) YRange(List<(double X, double Y)> points)
    {
        double min = points.Min(p => p.Y), max = points.Max(p => p.Y);
        if (LogY)
        {
            double lo = Math.Pow(10, Math.Floor(Math.Log10(min)));
            double hi = Math.Pow(10, Math.Ceiling(Math.Log10(max)));
            return (lo, hi <= lo ? lo * 10 : hi);
        }
        double top = max <= 0 ? 1 : NiceCeiling(max * 1.05);
        return (0, top);
    }

    private IEnumerable<double> YTicks(double min, double max)
    {
        if (LogY)
        {
            for (double v = min; v <= max * 1.0001; v *= 10)
            {
                yield return v;
            }
            yield break;
        }
        double step = NiceCeiling(max / 5);
        for (double v = 0; v <= max * 1.0001; v += step)
        {
            yield return v;
        }
    }

    private static IEnumerable<(double, string)> NumericXTicks(double min, double max, bool integer)
    {
        double step = NiceCeiling((max - min) / 8);
        if (integer)
        {
            step = Math.Max(1, Math.Round(step));
        }
        for (double v = Math.Ceiling(min / step) * step; v <= max * 1.0001; v += step)
        {
            yield return (v, Tick(v));
        }
    }

    /// <summary>The smallest of 1, 2, 5 × 10^n at or above <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double m in (double[])[1, 2, 5, 10])
        {
            if (m * magnitude >= value)
            {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static string Tick(double v) => v switch
    {
        >= 1e6 => (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => v.ToString("0.##", CultureInfo.InvariantCulture),
    };

    internal static string Escape(string text) => WebUtility.HtmlEncode(text);
}
