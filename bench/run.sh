#!/usr/bin/env bash
# Issue 18's comparison, with no arguments: the same 10,000 messages (2 KB, then 100 KB) through a
# Postfix relay and through SendApi over SMTP (smtp-source, 20 sessions) and HTTP (64 clients), every
# rate counted at the one smtp-sink they all deliver to; then HTTP at a fixed 500 requests/s for
# accept latency. Prints one table. Builds Release first; needs root (Postfix's master runs as root).
#   bench/run.sh [--messages 10000] [--sizes 2048,102400] [--durability everysec|always] [--open-loop-rate 500] [--open-loop-seconds 20] [--warmup 2000]
#   bench/run.sh --drain [--messages 20000] [--concurrency 64 | --smtp-sessions 20]   the single-path runs of the rows before issue 18
#   bench/run.sh --kills 3 --seed 11 | --kill-after 10                                crash experiments (bench/README.md)
#   bench/run.sh --queued 100000 [--quiet-seconds 10] [--sample-seconds 30]            SendApi's RSS with N messages accepted, attempted once (their MX
#                                                                                     refuses connections) and waiting for a retry (bench/README.md)
# Everything it starts (Redis, dnsmasq, smtp-sink, Postfix in a temp directory, SendApi) is started and
# ended by the bench program; an interrupt is passed on to it so that it can end them.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/SendApi/SendApi.csproj -v quiet -nologo
dotnet build -c Release bench/SendApi.Bench/SendApi.Bench.csproj -v quiet -nologo

dotnet bench/SendApi.Bench/bin/Release/net10.0/SendApi.Bench.dll --app "$PWD/src/SendApi/bin/Release/net10.0/SendApi.dll" "$@" &
bench=$!
trap 'kill -TERM "$bench" 2>/dev/null || true; wait "$bench" 2>/dev/null || true' INT TERM
wait "$bench"
