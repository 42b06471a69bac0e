#!/usr/bin/env bash
# Consumer tests: pack the packages with a version unique to this run into a local folder feed, add them BY VERSION
# to a fresh console app and a fresh ASP.NET Core app (isolated NUGET_PACKAGES, so a stale cache cannot hide a broken
# package), build the README's tagged code blocks as pasted (a compiler or NuGet warning fails the build), run them
# against the quickstart's local collector and assert what arrived; the same for the one C# block of each package's
# PACKAGE.md. Fails (non-zero) on any failure.
# Linux/macOS, bash; installs curl, jq and unzip when missing.
#
# A README block is a consumer test when the nearest non-blank line above its opening fence is
#   <!-- consumer-test: console -->     (becomes Program.cs of `dotnet new console`)
#   <!-- consumer-test: aspnetcore -->  (becomes Program.cs of `dotnet new web`)
#   <!-- consumer-test: customers -->, <!-- consumer-test: desktop -->, <!-- consumer-test: testing -->
#                                       (each becomes Program.cs of its own `dotnet new console`)
# Only the marker and its fenced block are read (the text around them may change; the marker may be indented). What
# the blocks must do to pass: the console block identifies THE_USER_ID_IN_YOUR_APP with subscriptionType = "pro" and
# prints a line ending in "dropped 0"; the aspnetcore block serves POST /login/{userId} (identifies with plan = "pro")
# and POST /profile.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
started=$(date +%s)
stamp=$(date -u +%Y%m%d%H%M%S)
version="0.2.0-ci.${stamp}"
work=$(mktemp -d)
feed="$work/feed"
collector_port=$((20000 + RANDOM % 10000))
web_port=$((30000 + RANDOM % 10000))
collector="http://127.0.0.1:${collector_port}"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "${KEEP_CONSUMER_TESTS:-}" = "1" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

if ! command -v curl >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1; then
  bash .ci/apt-install.sh curl jq unzip ca-certificates
fi

step() { echo "==> [$(( $(date +%s) - started ))s] $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

# The fenced block after the given marker line in README.md; fails unless there is exactly one such marker.
extract() {
  local marker="<!-- consumer-test: $1 -->"
  local count
  count=$(awk -v marker="$marker" '{ line = $0; gsub(/^[ \t]+|[ \t\r]+$/, "", line) } line == marker { n++ } END { print n + 0 }' README.md)
  [ "$count" -eq 1 ] || fail "README.md needs exactly one '$marker' (found $count)"
  awk -v marker="$marker" '
    { line = $0; gsub(/^[ \t]+|[ \t\r]+$/, "", line) }
    state == 0 && line == marker { state = 1; next }
    state == 1 && line ~ /^(```|~~~)/ { fence = substr(line, 1, 3); state = 2; next }
    state == 1 && line != "" { exit 1 }
    state == 2 && line ~ ("^" fence "[ \t]*$") { state = 3; exit }
    state == 2 { sub(/\r$/, ""); print }
    END { if (state != 3) exit 1 }
  ' README.md || fail "'$marker' is not followed by a closed fenced code block"
}

# The one ```csharp block of a package's PACKAGE.md (the readme nuget.org shows, where an HTML comment would show as
# text, so these blocks carry no marker); fails unless there is exactly one.
extract_package() {
  local file=$1 count
  count=$(grep -c '^```csharp[[:space:]]*$' "$file" || true)
  [ "$count" -eq 1 ] || fail "$file needs exactly one csharp block (found $count)"
  awk '
    state == 0 && /^```csharp[ \t]*$/ { state = 1; next }
    state == 1 && /^```[ \t]*$/ { state = 2; exit }
    state == 1 { sub(/\r$/, ""); print }
    END { if (state != 2) exit 1 }
  ' "$file" || fail "$file: the csharp block is not closed"
}

# A version pinned in Directory.Packages.props.
pinned() { sed -n "s/.*PackageVersion Include=\"$1\" Version=\"\([^\"]*\)\".*/\1/p" "$root/Directory.Packages.props"; }

# Waits until GET $1 answers 2xx (up to ~60 s).
wait_for() {
  for _ in $(seq 1 120); do
    if curl -sf -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  fail "$1 did not answer"
}

received() { curl -sf "$collector/received"; }

step "pack Growlytics, Growlytics.AspNetCore and Growlytics.Testing $version into a local feed"
for project in src/Growlytics/Growlytics.csproj src/Growlytics.AspNetCore/Growlytics.AspNetCore.csproj src/Growlytics.Testing/Growlytics.Testing.csproj; do
  dotnet pack "$project" -c Release -o "$feed" -p:VersionSuffix="ci.${stamp}" -v q -nologo
done
ls "$feed"/Growlytics."$version".nupkg "$feed"/Growlytics.AspNetCore."$version".nupkg "$feed"/Growlytics.Testing."$version".nupkg >/dev/null

# Every package a package depends on for a framework is used by the assembly it ships for that framework: the assembly
# references an assembly (or a namespace) of that name. An unused dependency is one more package, and on .NET Framework
# one more binding redirect, in every app that installs ours. (These dependencies' assemblies are named as the packages.)
step "each package's dependencies are used by its assemblies, per target framework"
for id in Growlytics Growlytics.AspNetCore Growlytics.Testing; do
  package="$feed/$id.$version.nupkg"
  unzip -p "$package" "$id.nuspec" | tr -d '\r' | awk '
    /<group targetFramework="/ { split($0, a, "targetFramework=\""); split(a[2], b, "\""); tfm = tolower(b[1]); sub(/^\./, "", tfm) }
    /<dependency id="/ { split($0, a, "id=\""); split(a[2], b, "\""); print tfm, b[1] }
  ' | while read -r tfm dependency; do
    names=$(unzip -p "$package" "lib/$tfm/$id.dll" | tr '\0' '\n')
    LC_ALL=C grep -qxF "$dependency" <<<"$names" || fail "$id ($tfm) depends on $dependency, which lib/$tfm/$id.dll does not use"
  done
done

step "start the quickstart's collector on $collector"
dotnet build samples/Growlytics.Samples.Quickstart -c Release -v q -nologo
dotnet run --project samples/Growlytics.Samples.Quickstart -c Release --no-build -- --serve "$collector_port" >"$work/collector.log" 2>&1 &
pids+=($!)
wait_for "$collector/received"

# The consumers restore from the local feed plus the sources this machine already uses (for dependencies), into
# an empty package folder.
export NUGET_PACKAGES="$work/packages"
cat >"$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="growlytics-consumer-tests" value="$feed" />
  </packageSources>
</configuration>
XML
export GROWLYTICS_API_KEY=consumer-test-key GROWLYTICS_ENDPOINT="$collector/"

step "console app: README block 'console'"
dotnet new console -n ConsumerConsole -o "$work/console" >/dev/null
extract console >"$work/console/Program.cs"
(cd "$work/console" && dotnet add package Growlytics --version "$version" >/dev/null)
dotnet build "$work/console" -c Release -v q -nologo -warnaserror
output=$(dotnet "$work/console/bin/Release/"*/ConsumerConsole.dll)
echo "$output"
echo "$output" | grep -q "dropped 0$" || fail "the console app dropped messages"
received | jq -e '[.[] | select(.userId == "THE_USER_ID_IN_YOUR_APP") | .attributes[]? | select(.name == "subscriptionType" and .value == "pro")] | length >= 1' >/dev/null \
  || fail "the collector did not receive the console app's Identify: $(received)"

step "ASP.NET Core app: README block 'aspnetcore'"
dotnet new web -n ConsumerWeb -o "$work/web" >/dev/null
extract aspnetcore >"$work/web/Program.cs"
(cd "$work/web" && dotnet add package Growlytics --version "$version" >/dev/null && dotnet add package Growlytics.AspNetCore --version "$version" >/dev/null)
dotnet build "$work/web" -c Release -v q -nologo -warnaserror
(cd "$work/web" && exec dotnet bin/Release/*/ConsumerWeb.dll --urls "http://127.0.0.1:${web_port}") >"$work/web.log" 2>&1 &
web_pid=$!
pids+=("$web_pid")
for _ in $(seq 1 120); do
  if curl -sf -o /dev/null -c "$work/jar" -b "$work/jar" -X POST "http://127.0.0.1:${web_port}/login/u-web-1"; then break; fi
  kill -0 "$web_pid" 2>/dev/null || { cat "$work/web.log"; fail "the web app exited"; }
  sleep 0.5
done
curl -sf -o /dev/null -c "$work/jar" -b "$work/jar" -H 'Content-Type: application/json' -d '{"city":"Pune"}' "http://127.0.0.1:${web_port}/profile" \
  || fail "POST /profile failed"
# Stopping the host flushes the client.
kill -INT "$web_pid"
wait "$web_pid" || { cat "$work/web.log"; fail "the web app did not stop cleanly"; }
received | jq -e '[.[] | select(.userId == "u-web-1") | .attributes[]? | select(.name == "plan" and .value == "pro")] | length >= 1' >/dev/null \
  || fail "the collector did not receive the web app's Identify: $(received)"

# A console app from the README block tagged NAME, with the given packages; prints its output.
console_block() {
  local name=$1; shift
  dotnet new console -n "Consumer_${name}" -o "$work/$name" >/dev/null
  extract "$name" >"$work/$name/Program.cs"
  for package in "$@"; do
    (cd "$work/$name" && dotnet add package "$package" --version "$version" >/dev/null)
  done
  dotnet build "$work/$name" -c Release -v q -nologo -warnaserror
}

step "console app: README block 'customers'"
console_block customers Growlytics
dotnet "$work/customers/bin/Release/"*/Consumer_customers.dll
received | jq -e '[.[] | select(.userId == "customer-42") | .attributes[]? | select(.name == "plan" and .value == "enterprise")] | length >= 1' >/dev/null \
  || fail "the collector did not receive the customers block's update: $(received)"
received | jq -e '[.[] | select(.userId == "customer-2") | .attributes[]? | select(.name == "lastSync")] | length >= 1' >/dev/null \
  || fail "the collector did not receive the customers block's awaited updates: $(received)"

step "console app: README block 'desktop' (builds and runs)"
console_block desktop Growlytics
HOME="$work/home" XDG_DATA_HOME="$work/home/data" dotnet "$work/desktop/bin/Release/"*/Consumer_desktop.dll

step "console app: README block 'testing' (Growlytics.Testing)"
console_block testing Growlytics Growlytics.Testing
testing_output=$(dotnet "$work/testing/bin/Release/"*/Consumer_testing.dll)
[ "$testing_output" = "pro" ] || fail "the testing block printed '$testing_output', not 'pro'"

step "console app: the Growlytics package's PACKAGE.md block"
# The README's console block identified the same user with the same name before: only upserts that arrive from now on
# are this block's.
package_identify='[.[] | select(.userId == "THE_USER_ID_IN_YOUR_APP" and any(.attributes[]?; .name == "name" and .value == "John Wick") and any(.attributes[]?; .name == "plan" and .value == "pro"))] | length'
package_before=$(received | jq "$package_identify")
dotnet new console -n ConsumerPackage -o "$work/package" >/dev/null
extract_package src/Growlytics/PACKAGE.md >"$work/package/Program.cs"
(cd "$work/package" && dotnet add package Growlytics --version "$version" >/dev/null)
dotnet build "$work/package" -c Release -v q -nologo -warnaserror
output=$(dotnet "$work/package/bin/Release/"*/ConsumerPackage.dll)
echo "$output"
echo "$output" | grep -Eq "^delivered [1-9][0-9]*, dropped 0$" || fail "the Growlytics PACKAGE.md block did not deliver everything"
received | jq -e --argjson before "$package_before" "($package_identify) > \$before" >/dev/null \
  || fail "the collector did not receive the Growlytics PACKAGE.md block's Identify: $(received)"

# An app that pins the first .NET 8 release of the Microsoft.Extensions packages the SDK uses restores: a higher minimum
# in the package would be a downgrade error (NU1605) there.
step "console app: restores beside the 8.0.0 Microsoft.Extensions packages it shares with the SDK"
dotnet new console -n ConsumerLowest -o "$work/lowest" >/dev/null
(cd "$work/lowest" && dotnet add package Growlytics --version "$version" --no-restore >/dev/null \
  && for dependency in Microsoft.Extensions.Http Microsoft.Extensions.Logging.Abstractions Microsoft.Extensions.Options Microsoft.Extensions.Hosting.Abstractions Microsoft.Extensions.Configuration.Abstractions; do
       dotnet add package "$dependency" --version 8.0.0 --no-restore >/dev/null
     done)
dotnet restore "$work/lowest" -v q -nologo || fail "an app that references the 8.0.0 Microsoft.Extensions packages could not restore the SDK"

step "ASP.NET Core app: the Growlytics.AspNetCore package's PACKAGE.md block"
dotnet new web -n ConsumerPackageWeb -o "$work/package-web" >/dev/null
extract_package src/Growlytics.AspNetCore/PACKAGE.md >"$work/package-web/Program.cs"
(cd "$work/package-web" && dotnet add package Growlytics --version "$version" >/dev/null && dotnet add package Growlytics.AspNetCore --version "$version" >/dev/null)
dotnet build "$work/package-web" -c Release -v q -nologo -warnaserror
package_web_port=$((web_port + 1))
(cd "$work/package-web" && exec dotnet bin/Release/*/ConsumerPackageWeb.dll --urls "http://127.0.0.1:${package_web_port}") >"$work/package-web.log" 2>&1 &
package_web_pid=$!
pids+=("$package_web_pid")
for _ in $(seq 1 120); do
  if curl -sf -o /dev/null -X POST "http://127.0.0.1:${package_web_port}/login/u-package-web-1"; then break; fi
  kill -0 "$package_web_pid" 2>/dev/null || { cat "$work/package-web.log"; fail "the PACKAGE.md web app exited"; }
  sleep 0.5
done
kill -INT "$package_web_pid"
wait "$package_web_pid" || { cat "$work/package-web.log"; fail "the PACKAGE.md web app did not stop cleanly"; }
received | jq -e '[.[] | select(.userId == "u-package-web-1") | .attributes[]? | select(.name == "plan" and .value == "pro")] | length >= 1' >/dev/null \
  || fail "the collector did not receive the Growlytics.AspNetCore PACKAGE.md block's Identify: $(received)"

# The Growlytics.Testing block is an xunit test method: its using directives head a file, the rest goes into a class,
# and the test project runs it.
step "xunit project: the Growlytics.Testing package's PACKAGE.md block"
mkdir -p "$work/package-testing"
cat >"$work/package-testing/ConsumerPackageTesting.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <IsPackable>false</IsPackable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="$(pinned Microsoft.NET.Test.Sdk)" />
    <PackageReference Include="xunit" Version="$(pinned xunit)" />
    <PackageReference Include="xunit.runner.visualstudio" Version="$(pinned xunit.runner.visualstudio)" />
    <PackageReference Include="Growlytics.Testing" Version="$version" />
  </ItemGroup>
</Project>
XML
extract_package src/Growlytics.Testing/PACKAGE.md >"$work/package-testing/block.cs"
{
  grep -E '^using [A-Za-z.]+;$' "$work/package-testing/block.cs"
  echo 'using Xunit;'
  echo 'public class PackageReadmeTests'
  echo '{'
  grep -vE '^using [A-Za-z.]+;$' "$work/package-testing/block.cs"
  echo '}'
} >"$work/package-testing/PackageReadmeTests.cs"
rm "$work/package-testing/block.cs"
testing_log="$work/package-testing.log"
dotnet test "$work/package-testing" -c Release -nologo -p:TreatWarningsAsErrors=true 2>&1 | tee "$testing_log" || fail "the Growlytics.Testing PACKAGE.md block's test failed"
grep -Eq 'Passed: +1\b' "$testing_log" || fail "the Growlytics.Testing PACKAGE.md block's test did not run"

step "OK: the packages ($version) restored by version, the README's and PACKAGE.md files' blocks built as pasted and run"
