# syntax=docker/dockerfile:1
# Living Map: multi-stage build. Stage 1 builds the web UI (npm, when web/ exists) and the shaded
# jar with Maven; stage 2 is a small JRE 17 image running as a non-root user.

FROM maven:3.9-eclipse-temurin-17 AS build
# Node for the web UI build (Debian/Ubuntu packages; the Maven build calls npm when web/ exists).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so source edits do not refetch them.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline || true
COPY . .
RUN mvn -B -DskipTests package \
 && cp target/living-map.jar /living-map.jar

FROM eclipse-temurin:17-jre-jammy AS runtime
LABEL org.opencontainers.image.title="living-map" \
      org.opencontainers.image.description="Live state of the DAARION network (drop-in for living-map-service)"
RUN groupadd --system --gid 10001 livingmap \
 && useradd --system --uid 10001 --gid livingmap --home-dir /app --shell /usr/sbin/nologin livingmap \
 && mkdir -p /app/data \
 && chown -R livingmap:livingmap /app
WORKDIR /app
COPY --from=build --chown=livingmap:livingmap /living-map.jar /app/living-map.jar
USER 10001:10001
ENV PORT=7017 \
    LIVING_MAP_DATA_DIR=/app/data \
    LIVING_MAP_LOG_FORMAT=json \
    MALLOC_ARENA_MAX=2 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:MaxGCPauseMillis=40 -XX:G1MixedGCCountTarget=16 -XX:G1HeapWastePercent=10 -XX:TrimNativeHeapInterval=5000 -XX:+UseStringDeduplication -XX:+ExitOnOutOfMemoryError"
EXPOSE 7017
VOLUME ["/app/data"]
# No curl in the JRE image: ask the liveness probe with bash's /dev/tcp.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-7017} && printf 'GET /living-map/health/live HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "-jar", "/app/living-map.jar"]
CMD ["serve"]
