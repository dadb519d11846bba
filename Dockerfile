# syntax=docker/dockerfile:1
# Pact CRM Connector image. Build from the repository top:  docker build -t pact-crm-connector .
# Nothing secret is baked in: the database URL and credentials, the encryption key and the CRM
# client secrets come from the environment at run time (manifests/: ConfigMap + Secret).

# ---- build: README's packaging command, on a JDK 17 (mvnw fetches Maven itself) ----------------
FROM eclipse-temurin:17-jdk-jammy AS build
WORKDIR /build
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY src/ src/
# widget/ui is packaged into the jar (served under /ui), widget/amocrm becomes target/amocrm-widget.zip.
COPY widget/ widget/
# The cache mount keeps Maven's downloads between builds without putting them into a layer.
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -DskipTests package \
 && cp target/pact-crm-connector-*.jar /build/app.jar

# ---- run: a JRE 17 only, as an unprivileged user -----------------------------------------------
FROM eclipse-temurin:17-jre-jammy
# curl for the HEALTHCHECK below; nothing else is added to the JRE image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 connector \
 && useradd --system --uid 10001 --gid connector --home-dir /app --shell /usr/sbin/nologin connector
WORKDIR /app
COPY --from=build --chown=root:root /build/app.jar /app/app.jar
COPY --chown=root:root docker/entrypoint.sh /app/entrypoint.sh
# Heap from the container's memory limit (65 % of it); the rest is metaspace, code cache, thread
# stacks and Netty's direct buffers (README "Deployment" has the measurements). Exit on OOM so the
# orchestrator restarts a clean JVM instead of keeping a half-broken one. /tmp is the only
# writable path the JVM needs (its own and Netty's temporary files): the root filesystem can be read-only.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=65 -XX:+ExitOnOutOfMemoryError -Duser.timezone=UTC -Djava.io.tmpdir=/tmp" \
    PORT=8080
EXPOSE 8080
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -m 4 -o /dev/null "http://127.0.0.1:${PORT}/health/liveness" || exit 1
ENTRYPOINT ["/app/entrypoint.sh"]
