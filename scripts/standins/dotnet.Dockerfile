# Offline stand-ins for mcr.microsoft.com/dotnet/aspnet and mcr.microsoft.com/dotnet/sdk, the base
# images of MlopsExam.Api/Dockerfile. scripts/bootstrap-docker.sh builds them (target aspnet, then
# sdk) only on a machine that can pull neither, from a temporary context holding this file, the
# host's .NET split in two (aspnet/: the muxer, host/ and the two shared runtimes; sdk/: the
# rest, sdk/, packs/, ...) and the host's CA bundle (ca-certificates.crt), so NuGet over HTTPS (a
# mirror with its own CA) works in builds.
#
# They keep the official images' contract that Dockerfiles rely on: dotnet in /usr/share/dotnet
# and on PATH, user and group `app` (uid/gid 1654, ENV APP_UID), ENV ASPNETCORE_HTTP_PORTS=8080
# and DOTNET_RUNNING_IN_CONTAINER=true, the SDK's DOTNET_NOLOGO & co., and the sdk image built
# FROM the aspnet one. ICU (libicu76) is not optional: the API runs with
# InvariantGlobalization=false so that its text normalisation (FormKC) is the one training used,
# and refuses to start without it; the official aspnet image ships libicu too.
#
# STANDIN_RECIPE (a label) is the hash of this file's non-comment lines: bootstrap-docker.sh
# rebuilds a stand-in whose label differs, so a change of recipe reaches machines that already
# have one; a comment edit does not.
ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS aspnet
ARG STANDIN_RECIPE
LABEL org.mlopsexam.standin-recipe=${STANDIN_RECIPE}
# The libraries of the official runtime-deps image, from Debian's mirror.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libc6 libgcc-s1 libicu76 libssl3t64 libstdc++6 tzdata zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && ldconfig -p | grep -q "libicuuc\.so\.76" \
 && ldconfig -p | grep -q "libicui18n\.so\.76"
# After ca-certificates, whose install regenerates the bundle from the Debian list alone.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true
RUN groupadd --gid=$APP_UID app \
 && useradd --no-log-init --uid=$APP_UID --gid=$APP_UID --create-home app
COPY aspnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && dotnet --list-runtimes >/dev/null

FROM aspnet AS sdk
# NUGET_CERT_REVOCATION_MODE=offline and no telemetry: nothing answers outside the mirror.
ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
    DOTNET_NOLOGO=true \
    DOTNET_USE_POLLING_FILE_WATCHER=true \
    NUGET_XMLDOC_MODE=skip \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    NUGET_CERT_REVOCATION_MODE=offline
COPY sdk/ /usr/share/dotnet/
RUN dotnet --version >/dev/null
