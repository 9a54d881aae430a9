// The architecture of README.md's diagram, one statement per resource. Each resource's builder extensions
// and constants are in its folder (Api/, Gateway/, Prometheus/, Postgres/, Dashboard/, Parameters/);
// Publishing/ writes docker-compose.yml and docker-stack.yml from this model (Compose/ is the publisher).
using MlopsExam.AppHost;
using MlopsExam.AppHost.Api;
using MlopsExam.AppHost.Compose;
using MlopsExam.AppHost.Dashboard;
using MlopsExam.AppHost.Gateway;
using MlopsExam.AppHost.Parameters;
using MlopsExam.AppHost.Postgres;
using MlopsExam.AppHost.Prometheus;
using MlopsExam.AppHost.Publishing;

var builder = DistributedApplication.CreateBuilder(args);

// Settings read from the environment as compose reads them (Parameters:<name> in configuration overrides).
// The password is generated on first run and kept in the AppHost's user secrets (`make credentials`
// prints it), never in the repository; BASIC_AUTH_PASSWORD in the environment replaces it.
var basicAuthUser = builder.AddSetting("basic-auth-user", "BASIC_AUTH_USER", defaultValue: "mlops")
    .WithDescription("user of /predict");
var basicAuthPassword = builder.AddBasicAuthPassword("basic-auth-password", "BASIC_AUTH_PASSWORD")
    .WithDescription("password of /predict (user BASIC_AUTH_USER)");
var rateLimitRps = builder.AddSetting("rate-limit-rps", "RATE_LIMIT_RPS", defaultValue: "10")
    .WithDescription("/predict requests per second per client address");
var rateLimitBurst = builder.AddSetting("rate-limit-burst", "RATE_LIMIT_BURST", defaultValue: "5")
    .WithDescription("requests above that rate a client may send at once");
var maxInflight = builder.AddSetting("gateway-max-inflight", "GATEWAY_MAX_INFLIGHT", defaultValue: "128")
    .WithDescription("requests in flight to the API, all clients; more get 503");
var traceSamplePercent = builder.AddSetting("gateway-trace-sample-percent", "GATEWAY_TRACE_SAMPLE_PERCENT", defaultValue: "10")
    .WithDescription("share of requests whose trace the replicas record; a client's traceparent flags win");
var canaryPercent = builder.AddSetting("canary-percent", "CANARY_PERCENT", defaultValue: "0")
    .WithDescription("share of clients (X-Client-Id, else address) sent to v2");
var shadowPercent = builder.AddSetting("shadow-percent", "SHADOW_PERCENT", defaultValue: "0")
    .WithDescription("share of v1 requests copied to v2 after the answer");
var retentionTime = builder.AddSetting("prometheus-retention-time", "PROMETHEUS_RETENTION_TIME", defaultValue: "15d")
    .WithDescription("Prometheus drops samples older than this");
var retentionSize = builder.AddSetting("prometheus-retention-size", "PROMETHEUS_RETENTION_SIZE", defaultValue: "512MB")
    .WithDescription("Prometheus drops its oldest samples above this disk use");

// Fault injection for tests and demos (make rollout's rollback): off unless set.
var apiV2FaultPercent = builder.AddSetting("api-v2-fault-percent", "API_V2_FAULT_PERCENT", defaultValue: "0")
    .WithDescription("share of v2's /predict answered 500 (fault injection)");
var apiV2FaultDelayMs = builder.AddSetting("api-v2-fault-delay-ms", "API_V2_FAULT_DELAY_MS", defaultValue: "0")
    .WithDescription("milliseconds added to v2's /predict (fault injection)");

// The champion: three replicas that nginx balances itself (AddApiReplicas says why not WithReplicas(3)).
// Memory limits (WithMemoryLimit): measured under load with headroom (docs/reliability.md). v1's is v2's:
// `make promote` makes the champion's replicas load the challenger's model, holding both during the swap.
var apiV1 = builder.AddApiReplicas("api-v1", variant: "v1", replicas: 3)
    .WithMemoryLimit("640M")
    .PublishAsComposeService((_, service) => service.Comment = """
        The champion: three replicas of one service (api-v1-1..3 under the AppHost). The instance
        id each reports (answers, X-Instance-Id, logs) is its hostname, i.e. its container id.
        """);

// The challenger: the same project with other settings (Models:v2, debug fields).
var apiV2 = builder.AddApiReplicas("api-v2", variant: "v2", replicas: 1, includeDebugFields: true)
    .WithMemoryLimit("640M")
    .PublishAsComposeService((_, service) => service.Comment =
        "The challenger, behind X-Experiment-Group: debug (and the canary share); the same image, other settings.")
    .WithFaults(apiV2FaultPercent, apiV2FaultDelayMs);

// Shadow traffic: v1 replicas copy the requests the gateway marks to the challenger, after answering.
apiV1.WithShadowTarget(apiV2);

// The only entry point: TLS, basic auth, rate limit, A/B routing, load balancing.
var gateway = builder.AddGateway("gateway")
    .WithUpstreams(v1: apiV1, v2: apiV2)
    .WithBasicAuth(basicAuthUser, basicAuthPassword)
    .WithRateLimit(rateLimitRps, rateLimitBurst)
    .WithOverloadLimit(maxInflight)
    .WithTraceSampling(traceSamplePercent)
    .WithExperiments(canaryPercent, shadowPercent)
    .WithMemoryLimit("128M")
    .WaitForAll(apiV1)
    .WaitForAll(apiV2);

// nginx's stub_status in Prometheus format.
var gatewayExporter = builder.AddGatewayExporter("gateway-exporter", gateway)
    .WithMemoryLimit("64M", cpus: "0.25")
    .WaitFor(gateway);

// Scrapes every API replica and the exporter; it starts last, so its first scrape finds them all.
builder.AddPrometheus("prometheus")
    .WithScrapeTargets(v1: apiV1, v2: apiV2, exporter: gatewayExporter, gateway: gateway)
    .WithRetention(retentionTime, retentionSize)
    .WithMemoryLimit("512M", cpus: "0.5")
    .WaitForAll(apiV1)
    .WaitForAll(apiV2)
    .WaitFor(gatewayExporter);

// The database's password: generated on first run and kept in the AppHost's user secrets; compose reads
// the file `make env` generates. Either way the server and the API read it from a file.
var postgresPassword = builder.AddParameter("postgres-password",
        new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
    .WithDescription("password of the postgres user");

// The payload log and the feedback labels (MlopsExam.Api/PayloadLog, Feedback): PostgreSQL, on the internal
// network only.
// 384M: shared_buffers (32MB, deployments/postgres/Dockerfile), a few backends and the page cache of the tables,
// with headroom (docs/reliability.md).
var postgres = builder.AddFeedbackPostgres("postgres", postgresPassword)
    .WithMemoryLimit("384M");

// Every answer (and every shadow prediction) is logged, off the request path; feedback labels are stored.
// No WaitFor: a replica serves predictions while the database is down (the log drops and counts).
apiV1.WithPayloadLog(postgres, postgresPassword);
apiV2.WithPayloadLog(postgres, postgresPassword);

// The dashboard of the published stacks (under `make run`, the AppHost's own): every replica's traces, metrics
// and structured logs over OTLP on the internal network; its UI on 127.0.0.1 behind a browser token.
// No WaitFor: a replica serves predictions while the dashboard is down (the exporter drops what it cannot send).
// 384M: resident memory peaked at 172 MiB under a soak's load (its log buffer full), with room for a full
// trace buffer (docs/reliability.md).
var dashboard = builder.AddStackDashboard("dashboard")
    .WithMemoryLimit("384M");
apiV1.WithTelemetryTo(dashboard);
apiV2.WithTelemetryTo(dashboard);

// Under `make run`, Docker restarts a crashed container (Reliability.cs); the published files have their own policy.
builder.RestartCrashedContainers();

// `aspire publish` (make publish) writes docker-compose.yml and docker-stack.yml from this model.
builder.AddComposeDeliverable();
builder.AddSwarmDeliverable();
builder.AddClusterDeliverable();

builder.Build().Run();
