#!/usr/bin/env bash
# The whole test suite: starts the real servers the integration tests need (PostgreSQL, MariaDB,
# OpenSSH/SFTP on loopback), type-checks, lints and tests every package, and prints one line
# "N passed, N failed" summed from vitest's JSON reports. Exit code is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir=/usr TURBO_TELEMETRY_DISABLED=1
find packages apps bench -name test-results.json -not -path '*/node_modules/*' -delete 2>/dev/null

# A fresh state directory the postgres/mysql users can traverse (the script picks one; a checkout under a
# 0700 directory would not do). ANYSOURCE_SERVICES_STATE reuses a directory of your choice.
export STATE="${ANYSOURCE_SERVICES_STATE:-}"
# shellcheck source=services-up.sh
if ! source scripts/services-up.sh; then
  echo "could not start the test services (PostgreSQL, MariaDB, sshd): see above" >&2
  exit 1
fi
trap 'bash scripts/services-down.sh --state "$STATE" >/dev/null 2>&1' EXIT

status=0
pnpm exec turbo run typecheck lint --output-logs=errors-only || status=1
pnpm exec turbo run test --concurrency=1 --continue || status=1
node scripts/sum-tests.mjs || status=1
exit $status
