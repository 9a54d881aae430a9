using MlopsExam.Training;

namespace MlopsExam.Tests.Model;

/// <summary>
/// The capability table of `make bench` (CheckList-style generated cases, <see cref="CapabilitySuite"/>)
/// as tests. Invariances the normaliser guarantees (casing, text forms) must hold for every case;
/// the other capabilities are held to ceilings set from the rates measured on the committed models
/// (docs/model-card.md) plus a small margin, so a model that regresses fails while a retrained
/// model that improves passes. After a deliberate change, re-measure with `make bench` and move
/// the ceilings.
/// </summary>
public class CapabilityTests
{
    /// <summary>Capabilities that must never fail, on any model.</summary>
    private static readonly HashSet<string> Guaranteed = ["casing", "text forms"];

    /// <summary>Highest accepted failure rate (%) per capability and model: measured + margin.</summary>
    private static readonly Dictionary<string, (double V1, double V2)> Ceilings = new()
    {
        // Measured (v1, v2) with the committed models: see the model card's capability table.
        ["negated positive"] = (30, 3),        // 27.0, 0.0
        ["negated negative"] = (100, 16),      // 99.8, 13.4 (issue 12 target <= 20)
        ["contrast (but)"] = (76, 60),         // 73.2, 56.8
        ["intensifiers"] = (42, 14),           // 38.5, 10.9
        ["neutral"] = (35, 17),                // 31.6, 13.8
        ["typos"] = (41, 49),                  // 37.5, 46.1
        ["punctuation"] = (2, 1),              // 1.2, 0.5
        ["product vocabulary"] = (13, 13),     // 10.4, 10.4
        ["restaurant vocabulary"] = (10, 10),  // 6.6, 6.6
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var variant in new[] { "v1", "v2" })
            foreach (var capability in CapabilitySuite.All)
                data.Add(variant, capability.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CapabilityFailureRateStaysWithinItsCeiling(string variant, string capability)
    {
        var result = CapabilitySuite.Run(CommittedModels.Get(variant), CapabilitySuite.All.Single(c => c.Name == capability));
        var rate = 100 * result.FailureRate;
        var examples = string.Join(" | ", result.Examples);
        if (Guaranteed.Contains(capability))
        {
            Assert.True(result.Failures == 0, $"{variant} {capability}: {result.Failures} of {result.Capability.Cases.Count} cases fail, e.g. {examples}");
            return;
        }
        Assert.True(Ceilings.TryGetValue(capability, out var ceilings), $"capability '{capability}' has no ceiling: measure it with make bench and add one.");
        var ceiling = variant == "v1" ? ceilings.V1 : ceilings.V2;
        Assert.True(rate <= ceiling, $"{variant} {capability}: {rate:F1} % of {result.Capability.Cases.Count} cases fail, ceiling {ceiling} %; e.g. {examples}");
    }

    [Fact]
    public void EveryCapabilityHasCasesAndIsJudged()
    {
        foreach (var capability in CapabilitySuite.All)
        {
            Assert.True(capability.Cases.Count >= 20, $"{capability.Name}: only {capability.Cases.Count} cases");
            Assert.True(Guaranteed.Contains(capability.Name) || Ceilings.ContainsKey(capability.Name), $"{capability.Name} is neither guaranteed nor has a ceiling");
        }
    }

    [Fact]
    public void ChallengerHandlesNegationBetterThanChampion()
    {
        double Rate(string variant, string name) => CapabilitySuite.Run(CommittedModels.Get(variant), CapabilitySuite.All.Single(c => c.Name == name)).FailureRate;
        Assert.True(Rate("v2", "negated negative") < Rate("v1", "negated negative"));
        Assert.True(Rate("v2", "negated positive") < Rate("v1", "negated positive"));
    }
}
