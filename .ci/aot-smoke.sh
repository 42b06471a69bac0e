#!/usr/bin/env bash
# Publishes tests/Growlytics.AotSmoke with native AOT and runs it against a collector on 127.0.0.1 that speaks both wire
# protocols: a client on the batch protocol; a generic host with AddGrowlytics(configuration.GetSection(...)) bound from
# appsettings.json and an in-memory source; the static facade on REST with StorageDirectory across an outage and a
# restart; Customers.UpdateAsync with a record and an anonymous type. The app exits non-zero unless every expected
# message and attribute arrives. Trim/AOT warnings fail the publish.
set -euo pipefail
cd "$(dirname "$0")/.."

rid="${AOT_RID:-linux-x64}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# Native AOT links with clang and zlib; installed when missing (Debian/Ubuntu images).
if ! command -v clang >/dev/null 2>&1 || [ ! -e /usr/include/zlib.h ]; then
  bash .ci/apt-install.sh clang zlib1g-dev
fi

# PublishAot is set in the project, not on the command line: a global property would reach the netstandard2.0 library too.
dotnet publish tests/Growlytics.AotSmoke/Growlytics.AotSmoke.csproj -c Release -r "$rid" -o "$out" -nologo

echo "Running the native executable..."
timeout 120 "$out/Growlytics.AotSmoke"
