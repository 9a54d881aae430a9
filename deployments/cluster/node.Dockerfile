# A Swarm node for `make cluster-up` (scripts/cluster.sh): Docker-in-Docker from Debian's packages,
# the approach of moby's hack/dind. Run privileged, with /var/lib/docker on a volume of its own
# (overlay2 cannot sit on the outer overlay2). No image is pulled: the base is the local stand-in
# scripts/bootstrap-docker.sh makes (or the real debian:trixie-slim on an online machine).
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       docker.io iptables iproute2 procps ca-certificates >/dev/null \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY node-entrypoint.sh /usr/local/bin/node-entrypoint.sh
VOLUME /var/lib/docker
ENTRYPOINT ["/usr/local/bin/node-entrypoint.sh"]
