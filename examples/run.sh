#!/usr/bin/env bash
# Packs FastRaft and FastRaft.Transport.Udp into artifacts/packages, then builds and runs
# examples/KeyValueStore against those packages (not the projects), as an application would.
# Restores into artifacts/example-packages, cleared of FastRaft packages first, so a fresh pack of
# an unchanged version is used rather than one cached by an earlier run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
feed="$root/artifacts/packages"
restored="$root/artifacts/example-packages"

for project in FastRaft FastRaft.Transport.Udp; do
  dotnet pack "$root/src/$project/$project.csproj" -c Release -o "$feed"
done
version="$(dotnet msbuild "$root/src/FastRaft/FastRaft.csproj" -getProperty:PackageVersion -p:Configuration=Release)"
echo "examples: FastRaft packages $version from $feed"
rm -rf "$restored/fastraft" "$restored"/fastraft.*

example="$root/examples/KeyValueStore"
dotnet build "$example/KeyValueStore.csproj" -c Release -p:FastRaftPackageVersion="$version" -p:RestorePackagesPath="$restored"
# The example stops itself within 20 s; the outer bound only guards against a wedged runtime.
timeout 90 dotnet "$example/bin/Release/net10.0/KeyValueStore.dll"
echo "examples: KeyValueStore passed"
