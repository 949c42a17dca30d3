#!/bin/sh
# Restores a pg-backup.sh dump into a NEW, empty database and proves the app can run on it.
#   pg-restore.sh DUMP TARGET_DATABASE_URL
# 1. refuses a target that already has tables (never restore over live data);
# 2. pg_restore in one transaction, stopping at the first error;
# 3. prints what came back (cases, migrations applied);
# 4. the app's own checks on it: `manage.py check` and `manage.py migrate --check` (no pending
#    migration for this code). MANAGE is how to run manage.py (default: python manage.py, from
#    the repository or the app image); SKIP_APP_CHECKS=1 where only PostgreSQL's tools are.
# Runbook: README.md, "Operating it" › "Backups". tests/ops/test_ops_backup.py runs it in CI.
set -eu
dump=${1:?usage: pg-restore.sh DUMP TARGET_DATABASE_URL}
target=${2:?usage: pg-restore.sh DUMP TARGET_DATABASE_URL}

tables=$(psql "$target" -X -At -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != 0 ]; then
  echo "pg-restore.sh: the target database already has $tables tables; restore into a new one" >&2
  exit 1
fi

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$target" "$dump"
echo "restored: $dump"
psql "$target" -X -At -F ' ' -c "
  SELECT 'cases', count(*) FROM intake_case
  UNION ALL SELECT 'tenants', count(*) FROM directory_tenant
  UNION ALL SELECT 'migrations', count(*) FROM django_migrations"

if [ "${SKIP_APP_CHECKS:-0}" != 1 ]; then
  # Directly to the restored database: no pooler in between.
  export DATABASE_URL="$target" DATABASE_POOLER=""
  ${MANAGE:-python manage.py} check --fail-level ERROR
  ${MANAGE:-python manage.py} migrate --check
  echo "app checks passed on the restored database"
fi
