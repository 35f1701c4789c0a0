#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing, then builds and runs the test projects.
# Results (TRX) go to ./TestResults; the exit code is non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")"

results="$PWD/TestResults"
rm -rf "$results"
mkdir -p "$results"

dotnet build StackHooks.slnx -c Release --nologo -v quiet
status=0
dotnet test --solution StackHooks.slnx -c Release --no-build \
  --report-xunit-trx --results-directory "$results" || status=$?
exit $status
