using System.Globalization;
using System.Text.Json;

namespace MlopsExam.Reports;

/// <summary>One element of an instant vector: its labels and value.</summary>
public sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value);

public sealed class PrometheusException(string message) : Exception(message);

/// <summary>
/// The few calls of Prometheus's HTTP API the reports need
/// (https://prometheus.io/docs/prometheus/latest/querying/api/): instant queries.
/// </summary>
public sealed class PrometheusClient(HttpClient http)
{
    /// <summary><c>GET /api/v1/query?query=...</c>; the result must be an instant vector.</summary>
    public async Task<IReadOnlyList<PromSample>> QueryAsync(string query, CancellationToken ct = default)
    {
        using var response = await http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(query), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            throw new PrometheusException($"{http.BaseAddress} answered {(int)response.StatusCode} to '{query}' with no JSON: is it Prometheus?");
        }
        if (root.GetProperty("status").GetString() != "success")
            throw new PrometheusException($"Prometheus refused '{query}': {Text(root, "errorType")}: {Text(root, "error")}");

        var data = root.GetProperty("data");
        if (data.GetProperty("resultType").GetString() != "vector")
            throw new PrometheusException($"'{query}' gave a {data.GetProperty("resultType").GetString()}, not an instant vector.");
        return data.GetProperty("result").EnumerateArray()
            .Select(e => new PromSample(
                e.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
                ParseValue(e.GetProperty("value")[1].GetString()!)))
            .ToList();
    }

    /// <summary>Sample values are strings: decimals, <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>.</summary>
    internal static double ParseValue(string value) => value switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? v.GetString() ?? "" : "";
}
