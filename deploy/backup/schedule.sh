#!/usr/bin/env bash
# The compose stack's backup service: one backup a day at BACKUP_AT (local time, default 02:30),
# and, during a vote, every BACKUP_EVERY_HOURS hours as well if set. Logs one line per backup.
set -euo pipefail
at="${BACKUP_AT:-02:30}"
every="${BACKUP_EVERY_HOURS:-}"
while true; do
  now=$(date +%s)
  next=$(date -d "today $at" +%s)
  [ "$next" -le "$now" ] && next=$(date -d "tomorrow $at" +%s)
  if [ -n "$every" ]; then
    soon=$((now + every * 3600))
    [ "$soon" -lt "$next" ] && next=$soon
  fi
  sleep $((next - now))
  /deploy/backup/backup.sh || echo "backup: FAILED at $(date -Is)" >&2
done
