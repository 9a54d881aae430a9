using MlopsExam.Api.Feedback;
using MlopsExam.Api.Logging;
using MlopsExam.Api.OpenApi;
using MlopsExam.Api.PayloadLog;
using MlopsExam.Api.Predict;
using MlopsExam.Api.Serving;
using MlopsExam.Api.Shadow;

var builder = WebApplication.CreateBuilder(args);
var stdoutFlush = StdoutBuffering.Install(builder.Configuration);

builder.AddServiceDefaults(PredictionMetrics.MeterName);
// One line per event: grep-able by request id in `docker compose logs` and in the dashboard.
builder.Logging.AddSimpleConsole(BufferedConsoleLoggingExtensions.OneLinePerEvent);
// With stdout buffered (the container image), lines go straight into the buffer rather than
// through the console logger's queue and thread (BufferedConsoleLogger.cs).
if (stdoutFlush is not null) builder.Logging.WriteConsoleLinesToBuffer();

builder.AddSentimentServing();
// Copies of the requests the gateway marks go to the challenger (Serving:ShadowUrl), in the background.
builder.Services.AddShadowTraffic();
// Every answer to PostgreSQL off the request path, and the feedback labels (ConnectionStrings:postgres; off without it).
builder.AddPayloadLog();
builder.Services.AddSingleton(sp => new FeedbackStore(
    sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<PayloadLogOptions>>(),
    sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<PayloadLogDatabase>()));
builder.Services.AddPredictOpenApi();

var app = builder.Build();

app.UseExceptionHandler(new ExceptionHandlerOptions
{
    // Kestrel's own refusals (body too large, ...) keep their 4xx; anything else is a 500.
    // Either way the body is ProblemDetails and no stack trace leaves the process.
    StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
});
app.UseStatusCodePages();

app.MapDefaultEndpoints();
app.MapPredictEndpoints();  // POST /predict
app.MapFeedbackEndpoints(); // POST /feedback: the true label of an answered request
app.MapShadowEndpoints();   // POST /shadow: internal, the challenger's side of shadow traffic (the gateway never routes it)
app.MapOpenApi();           // /openapi/v1.json (PredictOpenApi.DocumentPath), generated from the endpoints

try
{
    app.Run();
    return 0;
}
catch (Exception ex) when (ex is MlopsExam.Model.ModelIntegrityException or Microsoft.Extensions.Options.OptionsValidationException)
{
    // A missing or altered model, or an invalid setting: say why and exit 1 rather than crash.
    Console.Error.WriteLine($"Refusing to start: {ex.Message}");
    return 1;
}
finally
{
    // What the last interval buffered is written before the process ends.
    stdoutFlush?.Dispose();
}
