#!/usr/bin/env bash
# Runs the StackHooks benchmarks: builds the server and the harness in Release, installs wrk if missing, and runs the
# harness, which prints the figures and writes them to docs/BENCHMARKS.md. About 6 minutes on a 2-core machine.
#   ./bench/run.sh                 the full run (writes docs/BENCHMARKS.md)
#   ./bench/run.sh --quick         a smoke test of the harness, small sizes (writes nothing unless --write)
#   ./bench/run.sh --only latency  one or more phases: events,drain1,wrk,drain10,latency,million
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk..."
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y wrk >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
fi

dotnet build -c Release -nologo -clp:ErrorsOnly src/StackHooks/StackHooks.csproj
dotnet build -c Release -nologo -clp:ErrorsOnly bench/StackHooks.Bench/StackHooks.Bench.csproj

COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
CHANGED="$(git status --porcelain -- src 2>/dev/null | wc -l)"
if [ "$CHANGED" != 0 ]; then COMMIT="$COMMIT + uncommitted changes to $CHANGED path(s) in src/"; fi
COMMAND="./bench/run.sh${*:+ $*}"

exec dotnet bench/StackHooks.Bench/bin/Release/net10.0/StackHooks.Bench.dll \
  --server src/StackHooks/bin/Release/net10.0/StackHooks.dll \
  --out docs/BENCHMARKS.md \
  --wrk "$(command -v wrk)" \
  --command "$COMMAND" \
  --commit "$COMMIT" \
  "$@"
