# syntax=docker/dockerfile:1
# The sidecar's image: built with Maven, run on a JRE as a non-root user.
#   docker build -t odoo-webhook-sidecar .
#   docker run --rm -e WEBHOOK_DB_URL=jdbc:postgresql://db-host:5432/odoo \
#     -e WEBHOOK_DB_USER=webhook_sidecar -e WEBHOOK_DB_PASSWORD=... odoo-webhook-sidecar   # run
# Any other command works the same way: `docker run ... odoo-webhook-sidecar status`.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml .
COPY sql sql
COPY src/main src/main
# Tests need a PostgreSQL and run in CI, not here; the cache mount keeps Maven's downloads.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -Dmaven.test.skip=true package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app \
      --shell /usr/sbin/nologin sidecar
WORKDIR /app
COPY --from=build /build/target/odoo-webhook-sidecar.jar /app/odoo-webhook-sidecar.jar
# The schema files, for DBAs who review them or apply sql/optional/sidecar_role.sql.
COPY sql /app/sql
COPY --chmod=0755 deploy/healthcheck.sh /app/healthcheck.sh
# Inside a container the admin server must listen on all interfaces to be reachable.
ENV WEBHOOK_HTTP_HOST=0.0.0.0 \
    WEBHOOK_HTTP_PORT=8075
USER sidecar
EXPOSE 8075
# /health answers 200 once the database and the LISTEN connection are up; bash, no curl needed.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["/app/healthcheck.sh"]
# SIGTERM (docker stop) drains in-flight deliveries for up to WEBHOOK_SHUTDOWN_GRACE (20s):
# give `docker stop -t 30` or compose's stop_grace_period: 30s.
ENTRYPOINT ["java", "-jar", "/app/odoo-webhook-sidecar.jar"]
CMD ["run"]
