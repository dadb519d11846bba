#!/bin/sh
# Refuses to start a container with the development defaults: without DATASOURCES_DEFAULT_URL the
# service would start an embedded MariaDB inside the container (data lost with the pod, one database
# per replica), and without CONNECTOR_ENCRYPTION_KEY every replica would generate its own key and
# could not read the secrets another replica stored.
set -eu
missing=""
[ -n "${DATASOURCES_DEFAULT_URL:-}" ] || missing="$missing DATASOURCES_DEFAULT_URL"
[ -n "${CONNECTOR_ENCRYPTION_KEY:-}" ] || missing="$missing CONNECTOR_ENCRYPTION_KEY"
if [ -n "$missing" ]; then
  echo "refusing to start: set$missing (the embedded database and the generated dev key are for development only)" >&2
  exit 64
fi
exec java -jar /app/app.jar "$@"
