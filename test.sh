#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing, then builds and runs the test projects.
# Results (TRX) go to ./TestResults; the exit code is non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")"

# The console's browser tests drive Debian's Chromium (never `playwright install`, which downloads browsers).
if [ ! -x /usr/bin/chromium ]; then
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update && $sudo_cmd apt-get install -y chromium
fi

# PostgreSQL for the cluster-mode tests: a throwaway cluster on its own port, stopped when this script exits.
# (A PostgreSQL test that finds no server fails; it does not skip.)
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  as_root apt-get update && as_root apt-get install -y postgresql
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
pg_dir=$(mktemp -d /tmp/stackhooks-pg.XXXXXX)
pg_port=$(( 56000 + RANDOM % 2000 ))
as_root chown postgres:postgres "$pg_dir"
as_root runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null
as_root runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
stop_postgres() { as_root runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true; as_root rm -rf "$pg_dir"; }
trap stop_postgres EXIT
export STACKHOOKS_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"

results="$PWD/TestResults"
rm -rf "$results"
mkdir -p "$results"

# The Slack and Teams format checks run the vendors' own npm packages (tests/formats-validation).
if [ ! -d tests/formats-validation/node_modules ]; then
  npm ci --prefix tests/formats-validation --no-audit --no-fund
fi

dotnet build StackHooks.slnx -c Release --nologo -v quiet
status=0
dotnet test --solution StackHooks.slnx -c Release --no-build \
  --report-xunit-trx --results-directory "$results" || status=$?
exit $status
