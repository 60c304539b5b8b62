using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastRaft.LoadTest.Reports;

/// <summary>report.json: the whole report, camelCase, for tooling and later comparisons.</summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Render(LoadTestReport report) => JsonSerializer.Serialize(report, s_options);

    public static LoadTestReport? Parse(string json) => JsonSerializer.Deserialize<LoadTestReport>(json, s_options);
}
