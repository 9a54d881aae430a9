using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace MlopsExam.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server for the tests: Debian's server binaries (the postgresql package, which
/// scripts/bootstrap-docker.sh installs) run on 127.0.0.1 and a free port, with its cluster in a temporary
/// folder, trust authentication on loopback alone. As root, the server runs as the package's postgres user
/// (initdb refuses root). <see cref="Stop"/> and <see cref="Start"/> play a database outage.
/// </summary>
public sealed class LocalPostgres : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asPostgresUser;
    private int _databases;

    public LocalPostgres()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault() ?? ""
            : "";
        if (_bin.Length == 0)
            throw new InvalidOperationException("No PostgreSQL server binaries in /usr/lib/postgresql/*/bin: run scripts/bootstrap-docker.sh (installs Debian's postgresql).");
        _asPostgresUser = Environment.UserName == "root";
        _dir = Directory.CreateTempSubdirectory("mlopsexam-pg.").FullName;
        if (_asPostgresUser) Run("chown", ["postgres:postgres", _dir], asPostgres: false);
        Port = FreePort();
        Run(Path.Combine(_bin, "initdb"), ["-D", DataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]);
        Start();
    }

    public int Port { get; }

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>Connection string of database <paramref name="database"/>.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=2;Pooling=true";

    /// <summary>A new, empty database (each test class its own).</summary>
    public string CreateDatabase()
    {
        var name = $"test_{Interlocked.Increment(ref _databases)}";
        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        command.ExecuteNonQuery();
        return name;
    }

    public void Start() =>
        Run(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]);

    /// <summary>A fast shutdown: open sessions are ended, as when a database container stops.</summary>
    public void Stop()
    {
        Run(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-m", "fast", "-w", "stop"]);
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>psql on database <paramref name="database"/> with <paramref name="args"/>.</summary>
    public string Psql(string database, params string[] args)
    {
        var (code, output) = Shell.Run(Path.Combine(_bin, "psql"), ["-h", "127.0.0.1", "-p", $"{Port}", "-U", "postgres", "-d", database, .. args], Deadline);
        if (code != 0) throw new InvalidOperationException($"psql failed ({code}): {output}");
        return output;
    }

    private void Run(string file, string[] args, bool asPostgres = true)
    {
        var (code, output) = asPostgres && _asPostgresUser
            ? Shell.Run("runuser", ["-u", "postgres", "--", file, .. args], Deadline)
            : Shell.Run(file, args, Deadline);
        if (code != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({code}): {output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
