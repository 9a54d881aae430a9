# MlopsExam: sentiment API behind an nginx gateway, as a .NET Aspire application.
# `make` (or `make help`) lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CONFIGURATION ?= Release
# Aspire launch profile of `make run`: http needs no developer certificate; use https where one is trusted.
LAUNCH_PROFILE ?= http
# SST-2, outside the repository (never copied into it).
SST2_DIR ?= $(abspath ../shared/data/sst2)
# UCI Sentiment Labelled Sentences: out-of-domain development data, measured, never trained on.
UCI_SLS_DIR ?= $(abspath ../shared/data/uci-sls)
# Latency runs of `make bench` (the table gives their median and spread).
BENCH_RUNS ?= 5
# The Aspire CLI, pinned in the local tool manifest .config/dotnet-tools.json (`dotnet tool restore` installs it).
ASPIRE ?= dotnet tool run aspire
# Which stack `make predict` talks to: aspire (make run) or compose (make up).
STACK ?= $(shell if [ -n "$$(docker compose ps -q gateway 2>/dev/null)" ] || docker service inspect mlopsexam_gateway >/dev/null 2>&1; then echo compose; else echo aspire; fi)
GATEWAY ?= https://localhost
SENTENCE ?= A gripping, beautifully acted film.
TEST_FILTER ?=
# Extra arguments of `make loadtest` and `make overload`, e.g. LOADTEST_ARGS="--duration 20 --rounds 5".
LOADTEST_ARGS ?=
# `make soak`: minutes of steady load (half of the gateway's capacity), sampled every minute.
SOAK_MINUTES ?= 30
# Extra arguments of `make chaos`, e.g. CHAOS_ARGS="--daemon-restart" (restarts the Docker daemon: the stack must come back by itself).
CHAOS_ARGS ?=
# Where `make ab-report` reads the A/B figures (the stacks publish Prometheus on loopback only).
PROMETHEUS ?= http://127.0.0.1:9090
RESULTS_DIR ?= .artifacts/test-results
# `make dist`: the archive's format (tar.gz or zip) and folder.
DIST_FORMAT ?= tar.gz
DIST_DIR ?= .artifacts/dist

export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export ASPIRE_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export SST2_DIR UCI_SLS_DIR SENTENCE

##@ General

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Setup

.PHONY: docker
docker: ## Install and start Docker, compose, buildx and the base images when missing (idempotent)
	@./scripts/bootstrap-docker.sh

.PHONY: browser
browser: ## Install Debian's chromium when missing: the browser tests drive it (Playwright downloads no browser)
	@command -v chromium >/dev/null || { echo "installing chromium (Debian)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

.PHONY: build
build: ## Build the solution
	dotnet build MlopsExam.sln -c $(CONFIGURATION)

##@ Run with Aspire

.PHONY: run
run: docker ## Start the AppHost: dashboard, gateway, 3 x api-v1, api-v2, Prometheus (Ctrl+C stops all)
	@read -r user password < <(./scripts/credentials.sh aspire --ensure); \
	echo "Gateway:  https://localhost/predict  (certificate: deployments/nginx/certs/nginx.crt)"; \
	echo "Basic auth: $$user / $$password   (make credentials)"; \
	echo "Dashboard: the login URL is printed below once the AppHost is up."
	dotnet run --project MlopsExam.AppHost -c $(CONFIGURATION) --launch-profile $(LAUNCH_PROFILE)

.PHONY: credentials
credentials: ## Print the gateway's basic-auth user and password (STACK=aspire|compose)
	@read -r user password < <(./scripts/credentials.sh $(STACK)); echo "stack:    $(STACK)"; echo "user:     $$user"; echo "password: $$password"

.PHONY: predict
# A demo request asks for its trace (a sampled traceparent; the gateway samples 10 % of the others), so its
# X-Request-Id finds it in the dashboard.
TRACED = -H "traceparent: 00-$$(openssl rand -hex 16)-$$(openssl rand -hex 8)-01"

predict: ## One authenticated request to /predict (v1), traced; SENTENCE="..." to change it
	@read -r user password < <(./scripts/credentials.sh $(STACK)); \
	curl -sS --cacert deployments/nginx/certs/nginx.crt -u "$$user:$$password" -H 'Content-Type: application/json' \
	  $(TRACED) -D - -d "$$(jq -cn --arg s "$$SENTENCE" '{sentence: $$s}')" $(GATEWAY)/predict; echo

.PHONY: predict-v2
predict-v2: ## The same request with X-Experiment-Group: debug (the v2 challenger)
	@read -r user password < <(./scripts/credentials.sh $(STACK)); \
	curl -sS --cacert deployments/nginx/certs/nginx.crt -u "$$user:$$password" -H 'Content-Type: application/json' \
	  -H 'X-Experiment-Group: debug' $(TRACED) -D - -d "$$(jq -cn --arg s "$$SENTENCE" '{sentence: $$s}')" $(GATEWAY)/predict; echo

.PHONY: burst
burst: ## 20 simultaneous requests on one HTTP/2 connection: the rate limit lets 6 through, answers 14 with 429
	@read -r user password < <(./scripts/credentials.sh $(STACK)); \
	args=(); for i in $$(seq 20); do args+=(-o /dev/null "$(GATEWAY)/predict"); done; \
	curl -sS --no-progress-meter --http2 --parallel --parallel-max 20 --cacert deployments/nginx/certs/nginx.crt -u "$$user:$$password" \
	  -H 'Content-Type: application/json' -d '{"sentence":"burst"}' -w '%{http_code}\n' "$${args[@]}" | sort | uniq -c

##@ Deploy with Docker Compose

.PHONY: aspire-cli
aspire-cli: ## Install the Aspire CLI pinned in .config/dotnet-tools.json when missing
	@dotnet tool restore >/dev/null

.PHONY: publish
publish: aspire-cli ## Write docker-compose.yml and docker-stack.yml from the AppHost's app model (aspire publish), then check them
	$(ASPIRE) publish --apphost MlopsExam.AppHost/MlopsExam.AppHost.csproj --output-path "$(CURDIR)" --non-interactive --nologo
	@if docker compose version >/dev/null 2>&1; then \
	  BASIC_AUTH_PASSWORD=unused docker compose --env-file /dev/null config --quiet && echo "docker compose config: docker-compose.yml is valid"; \
	else echo "docker compose not installed: docker-compose.yml written, not checked (make docker)"; fi

.PHONY: env
env: ## Generate .env (basic-auth password) and the secret files (database password, dashboard token) if absent; git ignores them
	@./scripts/generate-env.sh

.PHONY: up
up: docker env ## Build and start the compose stack, wait until every service is healthy
	docker compose up --build --detach --wait --wait-timeout 600
	@echo "Up: https://localhost (make credentials STACK=compose; make predict)"

.PHONY: down
down: ## Stop and remove the compose stack
	docker compose down --remove-orphans

.PHONY: dashboard
dashboard: ## Print the login URL of the compose or Swarm stack's Aspire dashboard (traces, metrics, logs of every replica)
	@./scripts/dashboard.sh

.PHONY: logs
logs: ## Follow the compose stack's logs
	docker compose logs --follow

##@ Deploy on Docker Swarm

.PHONY: swarm-up
swarm-up: docker env ## Deploy docker-stack.yml on Swarm (a single-node swarm is initialised when none), wait until running
	@./scripts/swarm.sh up

.PHONY: swarm-down
swarm-down: ## Remove the Swarm stack (the swarm itself stays; `docker swarm leave --force` ends it)
	@./scripts/swarm.sh down

##@ Model

.PHONY: train
# make train FEEDBACK_TSV=.artifacts/feedback/feedback.tsv: the feedback set (make feedback-export) appended to
# SST-2 train. Unset (the default), training reads SST-2 alone and rebuilds the committed models byte for byte.
TRAIN_FEEDBACK_ARGS = $(if $(FEEDBACK_TSV),--feedback "$(FEEDBACK_TSV)")
train: ## Retrain v1 and v2 from SST-2 (SST2_DIR) into models/, with their metrics files; FEEDBACK_TSV=... adds the feedback set to train
	dotnet run --project MlopsExam.Training -c Release -- train --data "$(SST2_DIR)" --out models --variant all $(TRAIN_FEEDBACK_ARGS)

.PHONY: bench
bench: ## v1 vs v2: accuracy (SST-2 test, each uci-sls file), capability table, latency (median of BENCH_RUNS runs)
	dotnet run --project MlopsExam.Training -c Release -- bench --data "$(SST2_DIR)" --ood "$(UCI_SLS_DIR)" --runs $(BENCH_RUNS)

##@ Performance

.PHONY: loadtest
loadtest: ## Load benchmark of the compose stack (make up first): direct vs gateway, table + JSON + PNG in .artifacts/loadtest
	@command -v h2load >/dev/null || { echo "installing h2load (Debian nghttp2-client)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null; }
	@[ -n "$$(docker compose ps -q gateway 2>/dev/null)" ] || { echo "The compose stack is not running: make up"; exit 1; }
	dotnet run --project MlopsExam.LoadTest -c Release -- $(LOADTEST_ARGS)

.PHONY: overload
overload: ## The gateway at 1x-10x its saturating connections and 1,000, and 1.5x its peak open-loop: shed answers, latency, memory
	@command -v h2load >/dev/null || { echo "installing h2load (Debian nghttp2-client)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null; }
	@[ -n "$$(docker compose ps -q gateway 2>/dev/null)" ] || { echo "The compose stack is not running: make up"; exit 1; }
	dotnet run --project MlopsExam.LoadTest -c Release -- --overload $(LOADTEST_ARGS)

##@ Reliability

.PHONY: chaos
chaos: ## SIGKILL each kind of container of the compose stack (make up first) under a steady client: time to healthy, requests lost; .artifacts/chaos
	@[ -n "$$(docker compose ps -q gateway 2>/dev/null)" ] || { echo "The compose stack is not running: make up"; exit 1; }
	dotnet run --project MlopsExam.LoadTest -c Release -- chaos $(CHAOS_ARGS)

.PHONY: soak
soak: ## SOAK_MINUTES (30) of load at half capacity on the compose stack: memory, CPU, logs, errors per minute; .artifacts/soak
	@command -v h2load >/dev/null || { echo "installing h2load (Debian nghttp2-client)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null; }
	@[ -n "$$(docker compose ps -q gateway 2>/dev/null)" ] || { echo "The compose stack is not running: make up"; exit 1; }
	dotnet run --project MlopsExam.LoadTest -c Release -- soak --minutes $(SOAK_MINUTES)

##@ Experiments

.PHONY: feedback-export
feedback-export: ## The feedback labels of the compose stack as SST-2 TSV, .artifacts/feedback/feedback.tsv (make train FEEDBACK_TSV=...)
	@./scripts/feedback-export.sh .artifacts/feedback/feedback.tsv

.PHONY: ab-report
ab-report: ## v1 vs v2 over the last 5 min from Prometheus: a table here, .artifacts/ab-report.png and .json
	dotnet run --project MlopsExam.Reports -c $(CONFIGURATION) -- ab --prometheus "$(PROMETHEUS)" --out .artifacts/ab-report.png

##@ Ship a model (docs/shipping-a-model.md)

PERCENT ?=
ROLLOUT_ARGS ?=

.PHONY: canary
canary: ## Set the canary weight while the stack runs (PERCENT=25), no container recreated; without PERCENT, print it
	./scripts/gateway-exec.sh canary-weight.sh $(PERCENT)

.PHONY: rollout
rollout: ## Step the weight (5,10,25,50,100), check v2 vs v1 in Prometheus, promote or roll back (ROLLOUT_ARGS="--steps 5,50,100 --interval 15s")
	dotnet run --project MlopsExam.Reports -c $(CONFIGURATION) -- rollout --prometheus "$(PROMETHEUS)" $(ROLLOUT_ARGS)

.PHONY: promote
promote: ## The v1 replicas serve the challenger's model (checked first); weight back to 0
	dotnet run --project MlopsExam.Reports -c $(CONFIGURATION) -- promote --prometheus "$(PROMETHEUS)"

.PHONY: rollback
rollback: ## Weight 0; after a promotion, the v1 replicas serve the previous champion again
	dotnet run --project MlopsExam.Reports -c $(CONFIGURATION) -- rollback --prometheus "$(PROMETHEUS)"

##@ Deliver

.PHONY: dist
dist: ## The exercise's archive of HEAD, .artifacts/dist/mlopsexam.tar.gz (DIST_FORMAT=zip), with a certificate and .htpasswd for BASIC_AUTH_USER/PASSWORD (admin/admin)
	@DIST_FORMAT='$(DIST_FORMAT)' DIST_DIR='$(DIST_DIR)' ./scripts/dist.sh

##@ Test

.PHONY: test-unit
test-unit: ## Tests that need no container: model behaviour, API in-process, app model
	$(MAKE) --no-print-directory test TEST_FILTER='Category!=Stack'

STACKS_DOWN = docker compose down --remove-orphans --volumes >/dev/null 2>&1 || true; ./scripts/swarm.sh down --volumes >/dev/null 2>&1 || true

.PHONY: lint
lint: ## Fail on code that is not formatted as .editorconfig says (dotnet format --verify-no-changes)
	dotnet format MlopsExam.sln --verify-no-changes --verbosity quiet

.PHONY: verify
verify: docker browser lint ## Format check, then every test: model, API, the AppHost, compose and Swarm stacks; tears down whatever the result
	@# Before too: a stack left by an interrupted run (Swarm restarts its services with the daemon)
	@# would hold ports 80/443 and the tests' fixtures would fail to start theirs.
	@$(STACKS_DOWN); trap '$(STACKS_DOWN)' EXIT; \
	$(MAKE) --no-print-directory test

.PHONY: test
test: ## Run the tests (TEST_FILTER=... for a subset) and print the counts
	@rm -rf $(RESULTS_DIR); \
	status=0; dotnet test MlopsExam.Tests -c $(CONFIGURATION) --logger "trx;LogFileName=results.trx" \
	  --logger "console;verbosity=normal" --results-directory $(RESULTS_DIR) \
	  $(if $(TEST_FILTER),--filter "$(TEST_FILTER)") || status=$$?; \
	./scripts/test-summary.sh $(RESULTS_DIR)/results.trx; exit $$status

.PHONY: clean
clean: ## Stop the compose stack if any, remove build output and test results (keeps certs, .env, images)
	@if docker info >/dev/null 2>&1; then docker compose down --remove-orphans; fi
	dotnet clean MlopsExam.sln -v q >/dev/null
	rm -rf .artifacts */bin */obj
