#!/usr/bin/env bash
# Runs the unit tests against the netstandard2.0 build of the library (what .NET Framework apps receive) on the
# current .NET runtime: the test project references that build through -p:GrowlyticsLibraryTfm=netstandard2.0.
# Release configuration, so these binaries never mix with the everyday (Debug, net8.0-based) test build.
# Tests of net8.0-only features ([Trait("Requires", "net8")]: Half, Int128, UInt128, DateOnly, trimming annotations,
# Unix file modes) are filtered out; the test project compiles the few that need the net8.0 build only against it.
# Fails (non-zero) when a test fails, none ran, or the tests did not run against the netstandard2.0 assembly.
# Extra arguments go to dotnet test (e.g. --logger ...).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
set +e
dotnet test tests/Growlytics.Tests -c Release -p:GrowlyticsLibraryTfm=netstandard2.0 --filter "Requires!=net8" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if ! cmp -s src/Growlytics/bin/Release/netstandard2.0/Growlytics.dll tests/Growlytics.Tests/bin/Release/net10.0/Growlytics.dll; then
  echo "the tests did not run against the netstandard2.0 build of Growlytics.dll" >&2
  exit 1
fi
passed=$({ grep -Eo 'Passed: +[0-9]+' "$log" || true; } | awk '{s+=$2} END {print s+0}')
echo "netstandard2.0 build: ${passed} passed in $(( $(date +%s) - started ))s"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
