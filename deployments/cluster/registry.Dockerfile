# The registry every node of `make cluster-up` pulls from: Debian's docker-registry (distribution
# 2.8), plain HTTP on :5000 (the nodes list it as an insecure registry; the host pushes through
# 127.0.0.1, which Docker treats as insecure by default), no auth (registry.yml). Blobs in
# /var/lib/docker-registry.
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY registry.yml /etc/docker/registry/config.yml
EXPOSE 5000
VOLUME /var/lib/docker-registry
CMD ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]
