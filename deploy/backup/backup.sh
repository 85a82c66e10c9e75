#!/usr/bin/env bash
# One backup of the Yezhu database, with retention. Run by the compose stack's `backup` service
# (deploy/backup/schedule.sh) or by cron on the host.
#
#   BACKUP_DIR (default /backups)   where dumps go; copy them off the machine (docs/operations.md §2)
#   BACKUP_KEEP_DAYS (30)           daily dumps kept this many days …
#   BACKUP_KEEP_MONTHS (12)         … except the first of each month, kept this many months
#   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE   the database, as libpq reads them
#
# Writes yezhu-YYYYMMDDTHHMMSSZ.dump (pg_dump custom format), .counts (the row count of every
# table, taken in the same snapshot as the dump, so restore.sh can prove nothing was lost) and
# .sha256. A dump is complete or absent: it is written under a temporary name and renamed.
set -euo pipefail

dir="${BACKUP_DIR:-/backups}"
keep_days="${BACKUP_KEEP_DAYS:-30}"
keep_months="${BACKUP_KEEP_MONTHS:-12}"
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
base="$dir/yezhu-$stamp"

COUNTS_SQL="SELECT table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', table_name), false, true, '')))[1]::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1;"

# One read-only transaction holds a snapshot; pg_dump dumps that snapshot and the counts come
# from it too, however busy the site is meanwhile.
coproc PSQL { psql -X -A -t -q -v ON_ERROR_STOP=1 2>&1; }
exec {to_psql}>&"${PSQL[1]}"
psql_pid="$PSQL_PID"
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"$to_psql"
read -r -t 60 -u "${PSQL[0]}" snapshot
pg_dump --snapshot="$snapshot" --format=custom --file="$base.dump.partial"
echo "$COUNTS_SQL SELECT '--end--';" >&"$to_psql"
: > "$base.counts.partial"
while read -r -t 600 -u "${PSQL[0]}" line; do
  [ "$line" = "--end--" ] && break
  printf '%s\n' "$line" >> "$base.counts.partial"
done
echo "COMMIT;" >&"$to_psql"
echo '\q' >&"$to_psql"
exec {to_psql}>&-
wait "$psql_pid" || true

mv "$base.counts.partial" "$base.counts"
mv "$base.dump.partial" "$base.dump"
(cd "$dir" && sha256sum "yezhu-$stamp.dump" "yezhu-$stamp.counts" > "yezhu-$stamp.sha256")
echo "backup: $base.dump ($(stat -c %s "$base.dump") bytes, $(wc -l < "$base.counts") tables)"

# Retention: dailies for keep_days, the first of each month for keep_months.
find "$dir" -maxdepth 1 -name 'yezhu-*.dump' -mtime +"$keep_days" -print | while read -r old; do
  name="$(basename "$old")"
  day="${name:12:2}"
  if [ "$day" = "01" ] && [ -z "$(find "$old" -mtime +"$((keep_months * 31))" -print)" ]; then
    continue
  fi
  rm -f "$old" "${old%.dump}.counts" "${old%.dump}.sha256"
  echo "backup: removed $name"
done
