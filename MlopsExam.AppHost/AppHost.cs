// The architecture, one statement per resource (see README.md, "Architecture"):
//
//   client ──https──▶ gateway (nginx) ──▶ api-v1-1 | api-v1-2 | api-v1-3   (round robin)
//                         │          └──▶ api-v2    (X-Experiment-Group: debug)
//                         └─ stub_status ◀── gateway-exporter ◀── prometheus ──▶ every api replica
using MlopsExam.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Basic-auth credentials of /predict. The password is generated on first run and kept in the
// AppHost's user secrets (`make credentials` prints it); it is never written in the repository.
// BASIC_AUTH_USER / BASIC_AUTH_PASSWORD in the environment replace them, as for compose (a grader's
// admin:admin, say; the gateway warns at start when the password is weak).
var basicAuthUser = builder.AddSetting("basic-auth-user", "BASIC_AUTH_USER", "mlops");
var basicAuthPassword = builder.AddBasicAuthPassword("basic-auth-password", "BASIC_AUTH_PASSWORD");

// The gateway's rate limit of /predict per client address (nginx limit_req): 10 r/s, burst 5 unless
// RATE_LIMIT_RPS / RATE_LIMIT_BURST (environment) or Parameters:rate-limit-* say otherwise, as for compose.
var rateLimitRps = builder.AddSetting("rate-limit-rps", "RATE_LIMIT_RPS", "10");
var rateLimitBurst = builder.AddSetting("rate-limit-burst", "RATE_LIMIT_BURST", "5");

// The champion, three replicas that nginx balances itself (see AddApiReplicas for why they are
// three resources rather than WithReplicas(3)), and the challenger behind the debug header.
// Which model file each variant serves is configuration (appsettings.json, Models:v1 / Models:v2).
var apiV1 = builder.AddApiReplicas("api-v1", variant: "v1", replicas: 3);
var apiV2 = builder.AddApiReplicas("api-v2", variant: "v2", replicas: 1, includeDebugFields: true);
// Shadow traffic: v1 replicas copy the requests the gateway marks to the challenger, after answering.
apiV1.WithShadowTarget(apiV2[0]);

// Experiments (deployments/nginx/conf.d/ab-routing.conf): the canary share of clients sent to v2,
// the shadow share of v1 requests copied to v2; 0 and 0 (the defaults) is the seed's routing exactly.
var canaryPercent = builder.AddSetting("canary-percent", "CANARY_PERCENT", "0");
var shadowPercent = builder.AddSetting("shadow-percent", "SHADOW_PERCENT", "0");

// The only entry point: TLS, basic auth, rate limit, A/B routing, load balancing.
var gateway = builder.AddGateway("gateway", apiV1, apiV2, basicAuthUser, basicAuthPassword)
    .WithEnvironment("RATE_LIMIT_RPS", rateLimitRps)
    .WithEnvironment("RATE_LIMIT_BURST", rateLimitBurst)
    .WithEnvironment("CANARY_PERCENT", canaryPercent)
    .WithEnvironment("SHADOW_PERCENT", shadowPercent);

// nginx's stub_status in Prometheus format.
var gatewayExporter = builder.AddDockerfile("gateway-exporter", builder.Deployments("nginx"), stage: "exporter")
    .WithHttpEndpoint(targetPort: GatewayPorts.Exporter, name: "metrics")
    .WithHttpHealthCheck("/", endpointName: "metrics")
    .WithHardening()
    .WithEnvironment("NGINX_STATUS_URI", ReferenceExpression.Create($"{gateway.GetEndpoint("status")}/stub_status"))
    .WaitFor(gateway);

// Scrapes nginx (through the exporter) and every API replica; prometheus.yml is baked into the image.
// Its UI and API on 127.0.0.1:9090 only, as the exercise's template publishes it (Aspire's proxy
// listens on localhost); the gateway stays the only resource reachable from other machines.
builder.AddDockerfile("prometheus", builder.Deployments("prometheus"))
    .WithHttpEndpoint(port: 9090, targetPort: 9090, name: "http")
    .WithHttpHealthCheck("/-/ready")
    .WithHardening("/etc/prometheus/targets:uid=10102,gid=10102,mode=0755,size=1m")
    // The TSDB, in a named volume (it takes the image folder's owner, user prometheus), as under compose.
    .WithVolume("prometheus-data", "/var/lib/prometheus/metrics2")
    .WithEnvironment("SCRAPE_API_V1", apiV1.HostAndPortList())
    .WithEnvironment("SCRAPE_API_V2", apiV2.HostAndPortList())
    .WithEnvironment("SCRAPE_GATEWAY", gatewayExporter.GetEndpoint("metrics").Property(EndpointProperty.HostAndPort))
    .WaitFor(gatewayExporter);

builder.Build().Run();
