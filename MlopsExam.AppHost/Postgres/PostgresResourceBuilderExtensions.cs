using Aspire.Hosting.Postgres;
using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Postgres;

/// <summary>
/// PostgreSQL (Aspire.Hosting.PostgreSQL's AddPostgres) holding the payload log and the feedback labels. Its
/// image is built from deployments/postgres (Debian's postgresql-17 behind the official image's environment
/// contract), its data is in a named volume, it publishes no port, and its password is a file, never an
/// environment variable of a container.
/// </summary>
public static class PostgresResourceBuilderExtensions
{
    /// <summary>postgres's uid in its image (as in the official image).</summary>
    public const int Uid = 999;

    /// <summary>The database the API uses (created by the image's entrypoint on first start).</summary>
    public const string Database = "feedback";

    /// <summary>The compose and Swarm secret holding the password, which `make env` (scripts/generate-env.sh) writes.</summary>
    public const string PasswordSecret = "postgres_password";

    private const string PasswordSecretComment = """
        Written by `make env` (scripts/generate-env.sh) when absent: a random password, mode 0444
        in the 0700 folder .secrets/ (the server, uid 999, and the API, another uid, both read it).
        """;

    /// <summary>Where the server and the API read the password (the *_FILE convention).</summary>
    public const string PasswordFile = "/run/secrets/" + PasswordSecret;

    /// <summary>The server: AddPostgres with the image built here, the password as a file, a named volume,
    /// hardened (read-only root, no capability: it runs as uid 999 from the start).</summary>
    public static IResourceBuilder<PostgresServerResource> AddFeedbackPostgres(this IDistributedApplicationBuilder builder,
        string name, IResourceBuilder<ParameterResource> password)
    {
        var postgres = builder.AddPostgres(name, password: password)
            .WithDockerfile(builder.Deployments("postgres"))
            .WithVolume("postgres-data", "/var/lib/postgresql/data")
            .WithHardening($"/var/run/postgresql:uid={Uid},gid={Uid},mode=2775,size=8m")
            .WithEnvironment("POSTGRES_DB", Database)
            .WithPasswordFile(password, PasswordSecret, PasswordSecretComment);
        return postgres.PublishAsComposeService((_, service) =>
        {
            service.Comment = """
                The payload log and the feedback labels (MlopsExam.Api/PayloadLog, Feedback). Debian's
                PostgreSQL 17 behind the official image's environment contract (deployments/postgres).
                No port is published: only the api services reach it, on the compose network.
                """;
            service.KeyComments["tmpfs"] = "The server's socket and lock file: the root file system is read-only.";
            service.KeyComments["volumes"] = "The database cluster ($PGDATA), kept across restarts and `make down` (not `down -v`).";
        });
    }

    /// <summary>The password reaches the server as POSTGRES_PASSWORD_FILE: Aspire's POSTGRES_PASSWORD variable is
    /// removed. Under the AppHost the file is written before anything starts and bind-mounted read-only;
    /// in the published files it is the secret <paramref name="secret"/>.</summary>
    private static IResourceBuilder<T> WithPasswordFile<T>(this IResourceBuilder<T> resource,
        IResourceBuilder<ParameterResource> password, string secret, string comment)
        where T : IResourceWithEnvironment
    {
        var builder = resource.ApplicationBuilder;
        resource.WithEnvironment(context =>
        {
            context.EnvironmentVariables.Remove("POSTGRES_PASSWORD");
            context.EnvironmentVariables["POSTGRES_PASSWORD_FILE"] = PasswordFile;
        });
        if (builder.ExecutionContext.IsRunMode && resource is IResourceBuilder<ContainerResource> container)
            container.WithBindMount(RunModePasswordFile(builder, password), PasswordFile, isReadOnly: true);
        return resource.PublishWithComposeSecret(secret, Path.Combine(builder.RepositoryRoot(), ".secrets", secret), comment);
    }

    /// <summary>The API replicas write every prediction and read feedback from <paramref name="postgres"/>: the
    /// connection string without its password, and the password's file.</summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> WithPayloadLog(
        this IReadOnlyList<IResourceBuilder<ProjectResource>> replicas, IResourceBuilder<PostgresServerResource> postgres,
        IResourceBuilder<ParameterResource> password)
    {
        var endpoint = postgres.GetEndpoint("tcp");
        var connection = ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username=postgres;Database={Database}");
        foreach (var replica in replicas)
        {
            var builder = replica.ApplicationBuilder;
            replica.WithEnvironment("ConnectionStrings__postgres", connection)
                .WithEnvironment("PayloadLog__PasswordFile", builder.ExecutionContext.IsRunMode
                    ? RunModePasswordFile(builder, password)
                    : PasswordFile)
                .PublishWithComposeSecret(PasswordSecret, Path.Combine(builder.RepositoryRoot(), ".secrets", PasswordSecret), PasswordSecretComment)
                .PublishAsComposeService((_, service) => service.CommentEnvironment("ConnectionStrings__postgres", """
                    The payload log and feedback (MlopsExam.Api/PayloadLog): without a password, which is the
                    file PayloadLog__PasswordFile. A stopped database drops log rows; predictions go on.
                    """));
        }
        return replicas;
    }

    /// <summary>Under the AppHost: the generated password written to .secrets/aspire/ before anything starts.</summary>
    private static string RunModePasswordFile(IDistributedApplicationBuilder builder, IResourceBuilder<ParameterResource> password)
    {
        var file = Path.Combine(builder.RepositoryRoot(), ".secrets", "aspire", PasswordSecret);
        if (!builder.Resources.OfType<ParameterResource>().Any(p => p.Annotations.OfType<PasswordFileWrittenAnnotation>().Any()))
        {
            password.WithAnnotation(new PasswordFileWrittenAnnotation());
            builder.Eventing.Subscribe<BeforeStartEvent>(async (_, ct) =>
            {
                var value = await password.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException($"{password.Resource.Name} has no value");
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(Path.GetDirectoryName(file)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.Delete(file); // read-only once written
                await File.WriteAllTextAsync(file, value, ct);
                // Readable by the server's uid 999 through the bind mount; the 0700 folder keeps other local users out.
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            });
        }
        return file;
    }

    private sealed class PasswordFileWrittenAnnotation : IResourceAnnotation;
}
