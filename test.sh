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
