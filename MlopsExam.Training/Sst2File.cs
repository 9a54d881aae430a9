namespace MlopsExam.Training;

/// <summary>One labelled sentence of SST-2.</summary>
public readonly record struct LabelledSentence(string Sentence, bool Label);

/// <summary>Reads SST-2's <c>sentence&lt;TAB&gt;label</c> files (one header line, label 0 or 1).</summary>
public static class Sst2File
{
    public static IReadOnlyList<LabelledSentence> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"SST-2 file '{path}' does not exist (expected a 'sentence<TAB>label' file).", path);

        var rows = new List<LabelledSentence>();
        using var reader = new StreamReader(path);
        var header = reader.ReadLine();
        if (header is null || !header.StartsWith("sentence\t", StringComparison.Ordinal))
            throw new InvalidDataException($"'{path}' does not start with the header 'sentence<TAB>label'.");

        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            // The sentence never contains a tab, the label is the last field.
            var tab = line.LastIndexOf('\t');
            var label = tab < 0 ? "" : line[(tab + 1)..].Trim();
            if (label is not ("0" or "1"))
                throw new InvalidDataException($"{path}:{lineNumber}: expected 'sentence<TAB>0|1', got '{line}'.");
            rows.Add(new LabelledSentence(line[..tab], label == "1"));
        }
        return rows;
    }
}
