using System.Text;
using CliWrap;

namespace MlopsExam.AppHost.Gateway;

/// <summary>Runs scripts/prepare-gateway-files.sh, the step `make env` runs for compose: the certificate
/// folder made writable for the gateway's uid, and the password written into the file the gateway reads.</summary>
public static class GatewayFiles
{
    /// <returns>What the script wrote on stderr (its warnings), empty when nothing.</returns>
    public static async Task<string> PrepareAsync(string repositoryRoot, string secretFile, string password, CancellationToken ct)
    {
        var errors = new StringBuilder();
        var result = await Cli.Wrap(Path.Combine(repositoryRoot, "scripts", "prepare-gateway-files.sh"))
            .WithArguments(["--secret", secretFile])
            .WithWorkingDirectory(repositoryRoot)
            // The password goes through stdin, never the command line.
            .WithStandardInputPipe(PipeSource.FromString(password))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(errors))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(ct);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"scripts/prepare-gateway-files.sh failed ({result.ExitCode}): {errors}");
        return errors.ToString().Trim();
    }
}
