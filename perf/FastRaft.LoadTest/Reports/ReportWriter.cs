namespace FastRaft.LoadTest.Reports;

/// <summary>Writes report.md, report.json and report.html into a folder.</summary>
public static class ReportWriter
{
    public const string MarkdownFile = "report.md";
    public const string JsonFile = "report.json";
    public const string HtmlFile = "report.html";

    /// <summary>Writes the three reports; returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(LoadTestReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        string md = Path.Combine(directory, MarkdownFile);
        string json = Path.Combine(directory, JsonFile);
        string html = Path.Combine(directory, HtmlFile);
        File.WriteAllText(md, MarkdownReport.Render(report));
        File.WriteAllText(json, JsonReport.Render(report));
        File.WriteAllText(html, HtmlReport.Render(report));
        return [md, json, html];
    }
}
