#!/usr/bin/env bash
# Publishes tests/Growlytics.AotSmoke with native AOT and runs it: the app pushes an anonymous object and a dictionary
# to a collector on 127.0.0.1 and exits non-zero unless the attributes arrive. Trim/AOT warnings fail the publish.
set -euo pipefail
cd "$(dirname "$0")/.."

rid="${AOT_RID:-linux-x64}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# Native AOT links with clang and zlib; install them when missing (Debian/Ubuntu images).
if ! command -v clang >/dev/null 2>&1 || ! { [ -e /usr/include/zlib.h ] || dpkg -s zlib1g-dev >/dev/null 2>&1; }; then
  echo "Installing clang and zlib1g-dev for native AOT..."
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq clang zlib1g-dev >/dev/null
fi

# PublishAot is set in the project, not on the command line: a global property would reach the netstandard2.0 library too.
dotnet publish tests/Growlytics.AotSmoke/Growlytics.AotSmoke.csproj -c Release -r "$rid" -o "$out" -nologo

echo "Running the native executable..."
timeout 120 "$out/Growlytics.AotSmoke"
