#!/bin/sh
# Nightly logical backup (the CronJob in ../backup.yaml; also by hand): pg_dump's custom format
# of DATABASE_URL (PostgreSQL itself, not PgBouncer) into BACKUP_DIR, checked readable, newest
# BACKUP_KEEP kept. Restore: pg-restore.sh, runbook in README.md, "Operating it" › "Backups".
set -eu
: "${DATABASE_URL:?DATABASE_URL must name the database to dump}"
dir=${BACKUP_DIR:-/backups}
keep=${BACKUP_KEEP:-14}
target="$dir/gongzhima-$(date -u +%Y%m%dT%H%M%SZ).dump"

# Written under another name first: a dump cut short never looks like a backup.
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --dbname="$DATABASE_URL" --file="$target.partial"
pg_restore --list "$target.partial" >/dev/null  # the archive reads back whole
mv "$target.partial" "$target"
echo "backup written: $target ($(du -h "$target" | cut -f1))"

# shellcheck disable=SC2012  # names are ours: gongzhima-<UTC timestamp>.dump
ls -1t "$dir"/gongzhima-*.dump | tail -n +"$((keep + 1))" | while read -r old; do
  rm -f -- "$old"
  echo "backup removed (keeping $keep): $old"
done
