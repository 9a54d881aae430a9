// The architecture, one statement per resource (see README.md, "Architecture"):
//
//   client ──https──▶ gateway (nginx) ──▶ api-v1-1 | api-v1-2 | api-v1-3   (round robin)
//                         │          └──▶ api-v2    (X-Experiment-Group: debug)
//                         └─ stub_status ◀── gateway-exporter ◀── prometheus ──▶ every api replica
using MlopsExam.AppHost;
using MlopsExam.AppHost.Compose;

var builder = DistributedApplication.CreateBuilder(args);

// Basic-auth credentials of /predict. The password is generated on first run and kept in the
// AppHost's user secrets (`make credentials` prints it); it is never written in the repository.
// BASIC_AUTH_USER / BASIC_AUTH_PASSWORD in the environment replace them, as for compose (a grader's
// admin:admin, say; the gateway warns at start when the password is weak).
var basicAuthUser = builder.AddSetting("basic-auth-user", "BASIC_AUTH_USER", "mlops", "user of /predict");
var basicAuthPassword = builder.AddBasicAuthPassword("basic-auth-password", "BASIC_AUTH_PASSWORD");

// The gateway's rate limit of /predict per client address (nginx limit_req): 10 r/s, burst 5 unless
// RATE_LIMIT_RPS / RATE_LIMIT_BURST (environment) or Parameters:rate-limit-* say otherwise, as for compose.
var rateLimitRps = builder.AddSetting("rate-limit-rps", "RATE_LIMIT_RPS", "10", "/predict requests per second per client address");
var rateLimitBurst = builder.AddSetting("rate-limit-burst", "RATE_LIMIT_BURST", "5", "requests above that rate a client may send at once");

// The champion, three replicas that nginx balances itself (see AddApiReplicas for why they are
// three resources rather than WithReplicas(3)), and the challenger behind the debug header.
// Which model file each variant serves is configuration (appsettings.json, Models:v1 / Models:v2).
var apiV1 = builder.AddApiReplicas("api-v1", variant: "v1", replicas: 3)
    .PublishAsComposeService((_, service) => service.Comment = """
        The champion: three replicas of one service (api-v1-1..3 under the AppHost). The instance
        id each reports (answers, X-Instance-Id, logs) is its hostname, i.e. its container id.
        """);
var apiV2 = builder.AddApiReplicas("api-v2", variant: "v2", replicas: 1, includeDebugFields: true)
    .PublishAsComposeService((_, service) => service.Comment =
        "The challenger, behind X-Experiment-Group: debug (and the canary share); the same image, other settings.");
// Shadow traffic: v1 replicas copy the requests the gateway marks to the challenger, after answering.
apiV1.WithShadowTarget(apiV2[0]);

// Experiments (deployments/nginx/conf.d/ab-routing.conf): the canary share of clients sent to v2,
// the shadow share of v1 requests copied to v2; 0 and 0 (the defaults) is the seed's routing exactly.
var canaryPercent = builder.AddSetting("canary-percent", "CANARY_PERCENT", "0", "share of clients (X-Client-Id, else address) sent to v2");
var shadowPercent = builder.AddSetting("shadow-percent", "SHADOW_PERCENT", "0", "share of v1 requests copied to v2 after the answer");

// The only entry point: TLS, basic auth, rate limit, A/B routing, load balancing.
var gateway = builder.AddGateway("gateway", apiV1, apiV2, basicAuthUser, basicAuthPassword)
    .WithEnvironment("RATE_LIMIT_RPS", rateLimitRps)
    .WithEnvironment("RATE_LIMIT_BURST", rateLimitBurst)
    .WithEnvironment("CANARY_PERCENT", canaryPercent)
    .WithEnvironment("SHADOW_PERCENT", shadowPercent)
    .PublishAsComposeService((_, service) =>
    {
        service.CommentEnvironment("RATE_LIMIT_RPS", "`make loadtest` raises both for its own run, then recreates the gateway with these.");
        service.CommentEnvironment("CANARY_PERCENT", "Experiments (conf.d/ab-routing.conf); 0 and 0: the seed's routing exactly.");
    });

// nginx's stub_status in Prometheus format.
var gatewayExporter = builder.AddDockerfile("gateway-exporter", builder.Deployments("."), "nginx/Dockerfile", stage: "exporter")
    .WithHttpEndpoint(targetPort: GatewayPorts.Exporter, name: "metrics")
    .WithHttpHealthCheck("/", endpointName: "metrics")
    .WithHardening()
    .WithEnvironment("NGINX_STATUS_URI", ReferenceExpression.Create($"{gateway.GetEndpoint("status")}/stub_status"))
    .WaitFor(gateway)
    .PublishAsComposeService((_, service) => service.Comment =
        $"nginx's stub_status (internal port {GatewayPorts.Status}) in Prometheus format on :{GatewayPorts.Exporter}.");

// Scrapes nginx (through the exporter) and every API replica; prometheus.yml is baked into the image.
// Its UI and API on 127.0.0.1:9090 only, as the exercise's template publishes it (Aspire's proxy
// listens on localhost); the gateway stays the only resource reachable from other machines.
// It waits for the APIs too (already healthy by the time the exporter is), so its first scrape finds them.
builder.AddDockerfile("prometheus", builder.Deployments("."), "prometheus/Dockerfile")
    .WithHttpEndpoint(port: 9090, targetPort: 9090, name: "http")
    .WithHttpHealthCheck("/-/ready")
    // The scrape targets its entrypoint writes, in a tmpfs; the TSDB in a named volume (it takes the
    // image folder's owner, user prometheus, uid 10102).
    .WithHardening("/etc/prometheus/targets:uid=10102,gid=10102,mode=0755,size=1m")
    .WithVolume("prometheus-data", "/var/lib/prometheus/metrics2")
    .WithEnvironment("SCRAPE_API_V1", apiV1.HostAndPortList())
    .WithEnvironment("SCRAPE_API_V2", apiV2.HostAndPortList())
    .WithEnvironment("SCRAPE_GATEWAY", gatewayExporter.GetEndpoint("metrics").Property(EndpointProperty.HostAndPort))
    .WaitForAll(apiV1)
    .WaitForAll(apiV2)
    .WaitFor(gatewayExporter)
    .PublishPortAsComposeVariable("http", "PROMETHEUS_PORT", "Prometheus on 127.0.0.1 only")
    .PublishAsComposeService((_, service) => service.Comment = """
        Scrapes every api replica (one target per address of api-v1/api-v2, re-resolved
        every 15 s by its entrypoint) and the exporter; prometheus.yml and the recording
        rules are baked into the image, as under the AppHost. Its UI and API are published
        on the loopback interface only (http://127.0.0.1:9090, as the exercise's template has
        it): reachable from this machine, never from others.
        """);

// `aspire publish` (make publish) writes docker-compose.yml from this model (see ComposeDeliverable.cs).
builder.AddComposeDeliverable();
// ... and docker-stack.yml, the same services for `docker stack deploy` (make swarm-up).
builder.AddSwarmDeliverable();

builder.Build().Run();
