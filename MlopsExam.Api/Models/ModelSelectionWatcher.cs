using Microsoft.Extensions.Options;
using MlopsExam.Api.Serving;
using MlopsExam.Model;

namespace MlopsExam.Api.Models;

/// <summary>
/// Switches models while the replica runs. The selection file (<see cref="ServingOptions.SelectionFile"/>,
/// by default <c>serving/&lt;variant&gt;.model</c> in the model store) holds the file name of the
/// model to serve, e.g. <c>sentiment-v2.zip</c>; absent or empty, the configured
/// <see cref="ServingOptions.ModelPath"/>. Read every <see cref="ServingOptions.ModelPollMilliseconds"/>;
/// a new selection is loaded and checked before it serves (<see cref="ServingModel.SwitchTo"/>), and a
/// refused one is not retried until the selection or the model's files change. Each outcome is logged
/// and counted (<c>sentiment_model_switches_total{result="ok|refused"}</c>).
/// </summary>
public sealed partial class ModelSelectionWatcher(
    ServingModel serving,
    PredictionMetrics metrics,
    IOptions<ServingOptions> options,
    ILogger<ModelSelectionWatcher> logger) : BackgroundService
{
    // What the last poll saw: the selected path and its files' write times, so that a file fixed in place is tried again.
    private string? _seen;
    private readonly Lock _polling = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        lock (_polling)
            _seen ??= Fingerprint(serving.Current.Path);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(o.ModelPollMilliseconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
            Poll();
    }

    /// <summary>One look at the selection file; switches when it names another model (or the same one changed).</summary>
    public void Poll()
    {
        lock (_polling)
            PollOnce();
    }

    private void PollOnce()
    {
        var o = options.Value;
        if (Selected(o) is not { } path)
            return;
        var fingerprint = Fingerprint(path);
        _seen ??= Fingerprint(serving.Current.Path);
        if (fingerprint == _seen)
            return;
        _seen = fingerprint;
        var previous = serving.Current;
        try
        {
            serving.SwitchTo(path);
            metrics.ModelSwitched("ok");
            LogSwitched(logger, previous.ModelId, serving.Current.ModelId, serving.Current.Sha256, o.Variant, o.InstanceId);
        }
        catch (ModelIntegrityException ex)
        {
            metrics.ModelSwitched("refused");
            LogRefused(logger, path, previous.ModelId, o.Variant, o.InstanceId, ex.Message);
        }
    }

    /// <summary>The model the selection file names, in the store (the folder of the configured model), else the
    /// configured model; null when the file cannot be read now.</summary>
    public static string? Selected(ServingOptions o)
    {
        var configured = Path.GetFullPath(o.ModelPath);
        var store = Path.GetDirectoryName(configured)!;
        var file = o.SelectionFile is { Length: > 0 } f ? f : Path.Combine(store, "serving", o.Variant + ".model");
        string name;
        try
        {
            name = File.Exists(file) ? File.ReadAllText(file).Trim() : string.Empty;
        }
        catch (IOException)
        {
            return null; // being replaced: the next poll reads it
        }
        // A bare file name in the store; never a path out of it.
        return name.Length == 0 ? configured : Path.Combine(store, Path.GetFileName(name));
    }

    private static string Fingerprint(string path) =>
        $"{path}|{Stamp(path)}|{Stamp(ModelMetrics.PathFor(path))}";

    private static long Stamp(string path) => File.Exists(path) ? File.GetLastWriteTimeUtc(path).Ticks : 0;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "model switched from={From} to={To} sha256={Sha256} variant={Variant} instance={InstanceId}")]
    private static partial void LogSwitched(ILogger logger, string from, string to, string sha256, string variant, string instanceId);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "model switch refused path={Path} serving={Serving} variant={Variant} instance={InstanceId} reason={Reason}")]
    private static partial void LogRefused(ILogger logger, string path, string serving, string variant, string instanceId, string reason);
}
