using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlopsExam.Reports;

public static class AbReportJson
{
    /// <summary>camelCase, indented; NaN (no data) written as the JSON string "NaN".</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
