#!/usr/bin/env bash
# Restore a backup into a NEW database and prove it whole. Never restores over a live database.
#
#   deploy/backup/restore.sh BACKUP.dump NEW_DATABASE
#
#   PGHOST PGPORT PGUSER PGPASSWORD   the server, as the role that will own the restored tables
#   YEZHU_MANAGE (default "python manage.py")   how to run the app's management commands
#   APP_ROLE (optional)               grant the application's role its rights on the new database
#
# Checks, and exits non-zero at the first that fails:
#   1. the dump and its counts match their .sha256;
#   2. every table has exactly the row count recorded when the backup was taken;
#   3. the audit log's append-only trigger is there;
#   4. every election's ballot hash chain verifies (manage.py verify_chains).
# Then point DATABASE_URL at NEW_DATABASE (docs/operations.md §2.3).
set -euo pipefail

dump="${1:?usage: restore.sh BACKUP.dump NEW_DATABASE}"
target="${2:?usage: restore.sh BACKUP.dump NEW_DATABASE}"
counts="${dump%.dump}.counts"
sums="${dump%.dump}.sha256"
manage="${YEZHU_MANAGE:-python manage.py}"

[ -f "$dump" ] || { echo "restore: no such file $dump" >&2; exit 2; }
[ -f "$counts" ] || { echo "restore: $counts is missing: cannot prove the restore complete" >&2; exit 2; }
if [ -f "$sums" ]; then
  (cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$sums")") \
    || { echo "restore: checksum mismatch" >&2; exit 3; }
fi

if [ -n "$(psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$target'")" ]; then
  echo "restore: database $target exists; restore into a new one" >&2
  exit 2
fi
createdb "$target"
pg_restore --exit-on-error --no-owner --no-privileges --dbname="$target" "$dump"

COUNTS_SQL="SELECT table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', table_name), false, true, '')))[1]::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1;"
restored="$(mktemp)"
trap 'rm -f "$restored"' EXIT
psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$target" -c "$COUNTS_SQL" > "$restored"
if ! diff -u "$counts" "$restored" >&2; then
  echo "restore: row counts differ from the backup's (above: - backup, + restored)" >&2
  exit 4
fi
echo "restore: $(wc -l < "$restored") tables, every row count equal"

trigger="$(psql -X -At -d "$target" -c "SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_auditentry_no_update' AND tgenabled = 'O'")"
[ "$trigger" = "1" ] || { echo "restore: the audit log's append-only trigger is missing" >&2; exit 5; }

export DATABASE_URL="postgres://${PGUSER:-postgres}${PGPASSWORD:+:$PGPASSWORD}@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/$target"
$manage verify_chains || { echo "restore: a ballot hash chain does not verify" >&2; exit 6; }
if [ -n "${APP_ROLE:-}" ]; then
  $manage db_app_role "$APP_ROLE"
fi
echo "restore: $target is complete; point DATABASE_URL at it"
