#!/usr/bin/env bash
# Throughput benchmark: builds Release, then measures HTTP accept rate and end-to-end delivery rate
# with SendApi on Redis, dnsmasq and Postfix's smtp-sink, all on loopback.
#   bench/run.sh [--messages 20000] [--concurrency 64]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/SendApi/SendApi.csproj -v quiet -nologo
dotnet build -c Release bench/SendApi.Bench/SendApi.Bench.csproj -v quiet -nologo
exec dotnet bench/SendApi.Bench/bin/Release/net10.0/SendApi.Bench.dll --app "$PWD/src/SendApi/bin/Release/net10.0/SendApi.dll" "$@"
