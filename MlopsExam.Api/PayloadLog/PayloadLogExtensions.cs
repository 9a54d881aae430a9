using Microsoft.Extensions.Options;

namespace MlopsExam.Api.PayloadLog;

/// <summary>The payload log: options, the database (when <c>ConnectionStrings:postgres</c> is set), the queue and its writer.</summary>
public static class PayloadLogExtensions
{
    public static WebApplicationBuilder AddPayloadLog(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PayloadLogOptions>()
            .BindConfiguration(PayloadLogOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                // The deployment's name for it, as the issue and the compose files spell it.
                if (int.TryParse(configuration["PREDICTION_RETENTION_DAYS"], System.Globalization.CultureInfo.InvariantCulture, out var days))
                    options.RetentionDays = days;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Null when no database is configured: every consumer takes it as optional.
        builder.Services.AddSingleton(sp => PayloadLogDatabase.Create(
            sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<PayloadLogOptions>>().Value)!);
        builder.Services.AddSingleton(sp => new PayloadLogQueue(
            sp.GetRequiredService<IOptions<PayloadLogOptions>>(), sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<PayloadLogDatabase>()));
        builder.Services.AddHostedService(sp => new PayloadLogWriter(
            sp.GetRequiredService<PayloadLogQueue>(), sp.GetRequiredService<IOptions<PayloadLogOptions>>(),
            sp.GetRequiredService<ILogger<PayloadLogWriter>>(), sp.GetService<PayloadLogDatabase>()));
        return builder;
    }
}
