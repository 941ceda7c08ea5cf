#!/bin/sh
# Creates (or migrates) Temporal's two PostgreSQL databases. Runs once in temporalio/admin-tools
# before the server starts (deploy/compose.yaml, service temporal-schema); safe to re-run: `create`
# of an existing database fails harmlessly and update-schema only applies missing versions.
set -eu
: "${POSTGRES_SEEDS:=postgresql}" "${DB_PORT:=5432}" "${POSTGRES_USER:=temporal}"
export SQL_PASSWORD="${POSTGRES_PWD:?POSTGRES_PWD is required}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
  sleep 2
done

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) versioned="$SCHEMA_DIR/temporal/versioned" ;;
    *) versioned="$SCHEMA_DIR/visibility/versioned" ;;
  esac
  sql() {
    temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --db "$db" "$@"
  }
  sql create || echo "database $db exists"
  sql setup-schema -v 0.0
  sql update-schema -d "$versioned"
done
echo "Temporal schema ready"
