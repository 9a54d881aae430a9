using System.IO.Compression;

namespace MlopsExam.Training;

/// <summary>
/// ML.NET stamps every entry of a model archive with the time of saving, so two identical fits
/// give files with different sha256. Rewriting the archive with a fixed time makes the file a
/// function of the fitted model alone: re-running <c>train</c> reproduces the committed bytes.
/// </summary>
internal static class ReproducibleZip
{
    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Rewrite(Stream archive, Stream output)
    {
        using var source = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
        using var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var entry in source.Entries)
        {
            var copy = target.CreateEntry(entry.FullName, CompressionLevel.Optimal);
            copy.LastWriteTime = FixedTime;
            using var from = entry.Open();
            using var to = copy.Open();
            from.CopyTo(to);
        }
    }
}
